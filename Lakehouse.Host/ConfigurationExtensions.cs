using Lakehouse.Common;

namespace Lakehouse.Host;

internal static class ConfigurationExtensions
{
    /// <summary>
    /// Loads the TOML config named by --config (or the default file) and applies LAKEHOUSE__SECTION__KEY
    /// overrides, which reach us through ASP.NET configuration: environment variables there, or
    /// settings a test host passes in.
    /// </summary>
    public static LakehouseConfig AddLakehouseConfig(this WebApplicationBuilder builder)
    {
        var warnings = new List<string>();
        var overrides = builder.Configuration.GetSection("LAKEHOUSE").GetChildren().SelectMany(section =>
            section.GetChildren().Any()
                ? section.GetChildren().Select(key => KeyValuePair.Create($"{section.Key}:{key.Key}", key.Value))
                : [KeyValuePair.Create(section.Key, section.Value)]);
        var config = ConfigLoader.Load(builder.Configuration["config"], overrides, warnings);
        builder.Services.AddSingleton(config);
        builder.Services.AddSingleton(new ConfigWarnings(warnings));
        return config;
    }
}

/// <summary>What config loading had to say before logging existed; logged at start.</summary>
internal sealed record ConfigWarnings(IReadOnlyList<string> Messages);
