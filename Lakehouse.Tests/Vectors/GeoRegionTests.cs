using System.Text.Json;
using Lakehouse.Common;
using Lakehouse.Vectors;

namespace Lakehouse.Tests.Vectors;

/// <summary>The regions of geo conditions: distances along the Earth's surface, boxes across the antimeridian, polygons with holes, and the 400s of malformed ones.</summary>
public sealed class GeoRegionTests
{
    static readonly GeoPoint Berlin = new(13.4050, 52.5200);
    static readonly GeoPoint Munich = new(11.5820, 48.1351);
    static readonly GeoPoint London = new(-0.1276, 51.5072);
    static readonly GeoPoint Paris = new(2.3522, 48.8566);

    static GeoRegion Parse(string name, string json) => GeoRegion.Parse(name, JsonDocument.Parse(json).RootElement.Clone(), $"filter.must[0].{name}");

    [Fact]
    public void Distances_are_along_the_surface()
    {
        // Great-circle distances between the city centres, as atlases give them: ~504 km and ~344 km.
        Assert.InRange(GeoRegion.Distance(Berlin, Munich), 503_000, 506_000);
        Assert.InRange(GeoRegion.Distance(London, Paris), 342_000, 345_000);
        Assert.Equal(0, GeoRegion.Distance(Paris, Paris));
        // A quarter of the way round the equator, and from pole to pole: πR/2 and πR.
        Assert.Equal(Math.PI * 6_371_008.8 / 2, GeoRegion.Distance(new(0, 0), new(90, 0)), 3);
        Assert.Equal(Math.PI * 6_371_008.8, GeoRegion.Distance(new(0, 90), new(0, -90)), 3);
    }

    [Fact]
    public void A_radius_holds_the_points_no_farther_than_it()
    {
        var distance = GeoRegion.Distance(Berlin, Munich);
        string Circle(double radius) => FormattableString.Invariant($$"""{"center":{"lon":13.4050,"lat":52.5200},"radius":{{radius}}}""");
        Assert.True(Parse("geo_radius", Circle(distance + 1)).Contains(Munich));
        Assert.False(Parse("geo_radius", Circle(distance - 1)).Contains(Munich));
        Assert.True(Parse("geo_radius", Circle(0)).Contains(Berlin));
    }

    [Fact]
    public void A_box_holds_what_lies_between_its_corners_also_across_the_antimeridian()
    {
        var europe = Parse("geo_bounding_box", """{"top_left":{"lon":-10,"lat":55},"bottom_right":{"lon":15,"lat":45}}""");
        Assert.True(europe.Contains(Berlin) && europe.Contains(Paris) && europe.Contains(London));
        Assert.False(europe.Contains(new(20, 50)) || europe.Contains(new(0, 56)) || europe.Contains(new(0, 44)));
        var pacific = Parse("geo_bounding_box", """{"top_left":{"lon":170,"lat":10},"bottom_right":{"lon":-170,"lat":-10}}""");
        Assert.True(pacific.Contains(new(175, 0)) && pacific.Contains(new(-175, 0)) && pacific.Contains(new(180, 10)));
        Assert.False(pacific.Contains(new(0, 0)) || pacific.Contains(new(160, 0)) || pacific.Contains(new(175, 11)));
    }

    [Fact]
    public void A_polygon_holds_its_inside_but_not_its_holes()
    {
        var square = Parse("geo_polygon", """
            {"exterior":{"points":[{"lon":0,"lat":0},{"lon":10,"lat":0},{"lon":10,"lat":10},{"lon":0,"lat":10},{"lon":0,"lat":0}]},
             "interiors":[{"points":[{"lon":4,"lat":4},{"lon":6,"lat":4},{"lon":6,"lat":6},{"lon":4,"lat":6},{"lon":4,"lat":4}]}]}
            """);
        Assert.True(square.Contains(new(2, 2)) && square.Contains(new(8, 5)) && square.Contains(new(5, 7)));
        Assert.False(square.Contains(new(5, 5)) || square.Contains(new(11, 5)) || square.Contains(new(5, -1)));
        // A concave ring: an L whose notch is outside.
        var ell = Parse("geo_polygon", """{"exterior":{"points":[{"lon":0,"lat":0},{"lon":4,"lat":0},{"lon":4,"lat":1},{"lon":1,"lat":1},{"lon":1,"lat":4},{"lon":0,"lat":4},{"lon":0,"lat":0}]}}""");
        Assert.True(ell.Contains(new(0.5, 3)) && ell.Contains(new(3, 0.5)));
        Assert.False(ell.Contains(new(3, 3)));
    }

    [Fact]
    public void A_point_is_an_object_of_lon_and_lat_within_their_ranges()
    {
        GeoPoint? Read(string json) => GeoPoint.TryRead(JsonDocument.Parse(json).RootElement, out var point) ? point : null;
        Assert.Equal(new GeoPoint(1.5, -2), Read("""{"lat":-2,"lon":1.5,"name":"x"}"""));
        Assert.Null(Read("""{"lon":181,"lat":0}"""));
        Assert.Null(Read("""{"lon":0,"lat":-90.5}"""));
        Assert.Null(Read("""{"lon":"1","lat":2}"""));
        Assert.Null(Read("""{"lon":1}"""));
        Assert.Null(Read("""[1,2]"""));
    }

    [Theory]
    [InlineData("geo_radius", """{"center":{"lon":0,"lat":0}}""", "filter.must[0].geo_radius.radius must be a distance in metres")]
    [InlineData("geo_radius", """{"center":{"lon":0,"lat":0},"radius":-1}""", "filter.must[0].geo_radius.radius must be a distance in metres")]
    [InlineData("geo_radius", """{"center":{"lon":0,"lat":95},"radius":1}""", "filter.must[0].geo_radius.center must be a point")]
    [InlineData("geo_bounding_box", """{"top_left":{"lon":0,"lat":0}}""", "filter.must[0].geo_bounding_box.bottom_right must be a point")]
    [InlineData("geo_bounding_box", """{"top_left":{"lon":0,"lat":0},"bottom_right":{"lon":1,"lat":1}}""", "filter.must[0].geo_bounding_box.top_left.lat must not be south of bottom_right.lat")]
    [InlineData("geo_polygon", """{"exterior":{"points":[{"lon":0,"lat":0},{"lon":1,"lat":0},{"lon":0,"lat":0}]}}""", "filter.must[0].geo_polygon.exterior must be a closed ring")]
    [InlineData("geo_polygon", """{"exterior":{"points":[{"lon":0,"lat":0},{"lon":1,"lat":0},{"lon":1,"lat":1},{"lon":0,"lat":1}]}}""", "filter.must[0].geo_polygon.exterior must be a closed ring")]
    [InlineData("geo_polygon", """{"exterior":{"points":[{"lon":0,"lat":0},{"lat":0}]}}""", "filter.must[0].geo_polygon.exterior.points[1] must be a point")]
    [InlineData("geo_polygon", """{"interiors":[]}""", "filter.must[0].geo_polygon.exterior must be a closed ring")]
    [InlineData("geo_polygon", """{"exterior":{"points":[{"lon":0,"lat":0},{"lon":1,"lat":0},{"lon":1,"lat":1},{"lon":0,"lat":0}]},"interiors":[{"points":[]}]}""", "filter.must[0].geo_polygon.interiors[0] must be a closed ring")]
    [InlineData("geo_radius", "[]", "filter.must[0].geo_radius must be an object")]
    public void A_malformed_region_is_a_400_naming_the_part(string name, string json, string message)
    {
        var problem = Assert.Throws<ProblemException>(() => Parse(name, json));
        Assert.Equal(400, problem.Status);
        Assert.StartsWith(message, problem.Message, StringComparison.Ordinal);
    }
}
