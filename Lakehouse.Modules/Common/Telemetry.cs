using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Lakehouse.Common;

/// <summary>The one ActivitySource and Meter of the modules; instruments are named lakehouse.&lt;module&gt;.&lt;what&gt;.</summary>
public static class Telemetry
{
    public const string MeterName = "Lakehouse";
    public const string ActivitySourceName = "Lakehouse";

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);
    public static readonly Meter Meter = new(MeterName);
}
