using System.Text.Json;
using Lakehouse.Common;

namespace Lakehouse.Vectors;

/// <summary>A point on the Earth, in degrees, as item metadata holds one: <c>{"lon": 13.40, "lat": 52.52}</c>.</summary>
internal readonly record struct GeoPoint(double Lon, double Lat)
{
    /// <summary>The point a value is: an object whose <c>lon</c> (−180..180) and <c>lat</c> (−90..90) are numbers; anything else is none.</summary>
    public static bool TryRead(JsonElement value, out GeoPoint point)
    {
        point = default;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("lon", out var lon) || lon.ValueKind != JsonValueKind.Number
            || !value.TryGetProperty("lat", out var lat) || lat.ValueKind != JsonValueKind.Number)
        {
            return false;
        }
        point = new GeoPoint(lon.GetDouble(), lat.GetDouble());
        return point.Lon is >= -180 and <= 180 && point.Lat is >= -90 and <= 90;
    }
}

/// <summary>
/// The region of a geo condition (Qdrant's geo_radius, geo_bounding_box and geo_polygon): which
/// points it holds.
/// </summary>
internal abstract record GeoRegion
{
    /// <summary>The Earth's mean radius (IUGG), in metres, for distances along its surface.</summary>
    const double EarthRadius = 6_371_008.8;

    public abstract bool Contains(GeoPoint point);

    /// <summary>The points within <paramref name="Radius"/> metres of the centre along the surface (haversine, the Earth as a sphere).</summary>
    sealed record Circle(GeoPoint Center, double Radius) : GeoRegion
    {
        public override bool Contains(GeoPoint point) => Distance(Center, point) <= Radius;
    }

    /// <summary>
    /// The points between two corners; when the top left corner's longitude is east of the bottom
    /// right's, the box crosses the antimeridian (±180°).
    /// </summary>
    sealed record Box(GeoPoint TopLeft, GeoPoint BottomRight) : GeoRegion
    {
        public override bool Contains(GeoPoint point) =>
            point.Lat <= TopLeft.Lat && point.Lat >= BottomRight.Lat
            && (TopLeft.Lon <= BottomRight.Lon
                ? point.Lon >= TopLeft.Lon && point.Lon <= BottomRight.Lon
                : point.Lon >= TopLeft.Lon || point.Lon <= BottomRight.Lon);
    }

    /// <summary>The points inside the exterior ring and inside none of the interior rings (holes), on the plane of longitude and latitude.</summary>
    sealed record Polygon(GeoPoint[] Exterior, GeoPoint[][] Interiors) : GeoRegion
    {
        public override bool Contains(GeoPoint point) => Inside(Exterior, point) && !Interiors.Any(ring => Inside(ring, point));

        /// <summary>Even-odd ray casting: a ray east from the point crosses the ring's edges an odd number of times.</summary>
        static bool Inside(GeoPoint[] ring, GeoPoint point)
        {
            var inside = false;
            for (int i = 0, j = ring.Length - 1; i < ring.Length; j = i++)
            {
                var (a, b) = (ring[i], ring[j]);
                if ((a.Lat > point.Lat) != (b.Lat > point.Lat)
                    && point.Lon < a.Lon + ((point.Lat - a.Lat) * (b.Lon - a.Lon) / (b.Lat - a.Lat)))
                {
                    inside = !inside;
                }
            }
            return inside;
        }
    }

    /// <summary>The great-circle distance in metres (haversine).</summary>
    public static double Distance(GeoPoint a, GeoPoint b)
    {
        static double Radians(double degrees) => degrees * Math.PI / 180;
        var dLat = Radians(b.Lat - a.Lat);
        var dLon = Radians(b.Lon - a.Lon);
        var h = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2)) + (Math.Cos(Radians(a.Lat)) * Math.Cos(Radians(b.Lat)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
        return 2 * EarthRadius * Math.Asin(Math.Sqrt(Math.Min(1, h)));
    }

    /// <summary>The region of a condition's <paramref name="name"/> (geo_radius, geo_bounding_box or geo_polygon), or a 400 naming the part that is wrong.</summary>
    public static GeoRegion Parse(string name, JsonElement json, string where)
    {
        if (json.ValueKind != JsonValueKind.Object) throw Bad(where, "must be an object");
        return name switch
        {
            "geo_radius" => new Circle(Point(json, "center", where), RadiusOf(json, where)),
            "geo_bounding_box" => BoxOf(json, where),
            _ => new Polygon(Ring(json, "exterior", where), InteriorsOf(json, where)),
        };
    }

    static Box BoxOf(JsonElement json, string where)
    {
        var box = new Box(Point(json, "top_left", where), Point(json, "bottom_right", where));
        return box.TopLeft.Lat < box.BottomRight.Lat ? throw Bad($"{where}.top_left.lat", "must not be south of bottom_right.lat") : box;
    }

    static double RadiusOf(JsonElement json, string where) =>
        json.TryGetProperty("radius", out var radius) && radius.ValueKind == JsonValueKind.Number && radius.GetDouble() is var metres && metres >= 0 && double.IsFinite(metres)
            ? metres
            : throw Bad($"{where}.radius", "must be a distance in metres, a number from 0");

    static GeoPoint Point(JsonElement json, string name, string where) =>
        json.TryGetProperty(name, out var value) && GeoPoint.TryRead(value, out var point)
            ? point
            : throw Bad($"{where}.{name}", PointProblem);

    /// <summary>A closed ring, as Qdrant takes one: at least 4 points, the last the same as the first.</summary>
    static GeoPoint[] Ring(JsonElement json, string name, string where) => RingOf(json.TryGetProperty(name, out var ring) ? ring : default, $"{where}.{name}");

    static GeoPoint[] RingOf(JsonElement ring, string where)
    {
        const string Problem = "must be a closed ring {\"points\": [{\"lon\", \"lat\"}, …]}: at least 4 points, the last the same as the first";
        if (ring.ValueKind != JsonValueKind.Object || !ring.TryGetProperty("points", out var points) || points.ValueKind != JsonValueKind.Array) throw Bad(where, Problem);
        var read = new List<GeoPoint>();
        foreach (var value in points.EnumerateArray())
        {
            if (!GeoPoint.TryRead(value, out var point)) throw Bad($"{where}.points[{read.Count}]", PointProblem);
            read.Add(point);
        }
        return read.Count >= 4 && read[0] == read[^1] ? [.. read] : throw Bad(where, Problem);
    }

    static GeoPoint[][] InteriorsOf(JsonElement json, string where)
    {
        if (!json.TryGetProperty("interiors", out var interiors)) return [];
        if (interiors.ValueKind != JsonValueKind.Array) throw Bad($"{where}.interiors", "must be an array of rings");
        return [.. interiors.EnumerateArray().Select((ring, i) => RingOf(ring, $"{where}.interiors[{i}]"))];
    }

    const string PointProblem = "must be a point {\"lon\": −180..180, \"lat\": −90..90}";

    static ProblemException Bad(string where, string problem) => ProblemException.BadRequest($"{where} {problem}.");
}
