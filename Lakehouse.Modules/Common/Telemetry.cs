using System.Diagnostics;

namespace Lakehouse.Common;

/// <summary>
/// The modules' ActivitySource, and the name of their meter. Instruments (lakehouse.&lt;module&gt;.&lt;what&gt;)
/// come from each host's IMeterFactory, so two hosts in one process (tests) keep separate figures.
/// </summary>
public static class Telemetry
{
    public const string MeterName = "Lakehouse";
    public const string ActivitySourceName = "Lakehouse";

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);
}
