using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tomlyn;

namespace Lakehouse.Common;

/// <summary>
/// Reads config/lakehouse.toml strictly (a syntax error or an unknown key is fatal and names file,
/// line and key), then applies single-key overrides (LAKEHOUSE__SECTION__KEY) and the S3 secrets file.
/// </summary>
public static partial class ConfigLoader
{
    public const string DefaultPath = "config/lakehouse.toml";

    static readonly TomlSerializerOptions TomlOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <param name="explicitPath">The --config argument, or null to use <see cref="DefaultPath"/> when it exists.</param>
    /// <param name="overrides">Keys "section:key" (any case) with their values, e.g. from LAKEHOUSE__SECTION__KEY.</param>
    /// <param name="warnings">Receives what the caller should log once logging is up.</param>
    public static LakehouseConfig Load(string? explicitPath, IEnumerable<KeyValuePair<string, string?>> overrides, ICollection<string> warnings)
    {
        var config = new LakehouseConfig();
        var path = explicitPath ?? (File.Exists(DefaultPath) ? DefaultPath : null);
        if (path is not null && !File.Exists(path))
        {
            warnings.Add($"Config file '{path}' does not exist; using defaults.");
            path = null;
        }
        if (path is not null) config = Parse(File.ReadAllText(path), path);

        foreach (var (name, value) in overrides) ApplyOverride(config, name, value ?? "");
        ApplySecrets(config);
        Validate(config, path ?? "defaults");
        return config;
    }

    public static LakehouseConfig Parse(string text, string sourceName)
    {
        LakehouseConfig config;
        try
        {
            config = TomlSerializer.Deserialize<LakehouseConfig>(text, TomlOptions with { SourceName = sourceName })
                ?? new LakehouseConfig();
        }
        catch (TomlException e)
        {
            throw new ConfigException($"Config file {e.Message.Trim()}", e);
        }
        RejectUnknownKeys(config, text, sourceName);
        return config;
    }

    static void RejectUnknownKeys(LakehouseConfig config, string text, string sourceName)
    {
        foreach (var key in config.Unknown?.Keys ?? [])
        {
            throw new ConfigException($"{sourceName}({FindLine(text, null, key)}): unknown key or section '{key}'.");
        }
        foreach (var (section, model) in Sections(config))
        {
            var unknown = (IDictionary<string, object?>?)model.GetType().GetProperty(nameof(LakehouseConfig.Unknown))!.GetValue(model);
            foreach (var key in unknown?.Keys ?? [])
            {
                throw new ConfigException($"{sourceName}({FindLine(text, section, key)}): unknown key '{key}' in [{section}].");
            }
        }
        foreach (var key in config.Auth.Keys.SelectMany(k => k.Unknown?.Keys ?? []))
        {
            throw new ConfigException($"{sourceName}({FindLine(text, "auth", key)}): unknown key '{key}' in an [auth] keys entry.");
        }
    }

    /// <summary>The 1-based line of <paramref name="key"/> inside table <paramref name="section"/> (null: the root), or 0.</summary>
    static int FindLine(string text, string? section, string key)
    {
        string? current = null;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            var header = TableHeader().Match(line);
            if (header.Success)
            {
                current = header.Groups[1].Value.Trim();
                if (section is null && current == key) return i + 1;
                continue;
            }
            if (current == section && (line.StartsWith(key + " ", StringComparison.Ordinal) || line.StartsWith(key + "=", StringComparison.Ordinal)
                || line.Contains(" " + key + " =", StringComparison.Ordinal) || line.Contains("{ " + key + " ", StringComparison.Ordinal)))
            {
                return i + 1;
            }
        }
        return 0;
    }

    static IEnumerable<(string Name, object Model)> Sections(LakehouseConfig config) =>
        typeof(LakehouseConfig).GetProperties()
            .Where(p => p.PropertyType != typeof(LakehouseConfig) && p.PropertyType.IsClass && p.PropertyType.Namespace == typeof(LakehouseConfig).Namespace)
            .Select(p => (SnakeCase(p.Name), p.GetValue(config)!));

    static void ApplyOverride(LakehouseConfig config, string name, string value)
    {
        var parts = name.Split(':');
        if (parts.Length != 2) throw new ConfigException($"Override '{name}' must name one key as SECTION__KEY.");
        var section = Sections(config).FirstOrDefault(s => s.Name.Equals(parts[0], StringComparison.OrdinalIgnoreCase)).Model
            ?? throw new ConfigException($"Override LAKEHOUSE__{parts[0].ToUpperInvariant()}__{parts[1].ToUpperInvariant()}: unknown section '{parts[0]}'.");
        var property = section.GetType().GetProperties()
            .FirstOrDefault(p => p.Name != nameof(LakehouseConfig.Unknown) && SnakeCase(p.Name).Equals(parts[1], StringComparison.OrdinalIgnoreCase))
            ?? throw new ConfigException($"Override LAKEHOUSE__{parts[0].ToUpperInvariant()}__{parts[1].ToUpperInvariant()}: unknown key '{parts[1]}'.");
        try
        {
            property.SetValue(section, ConvertOverride(value, property));
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new ConfigException($"Override LAKEHOUSE__{parts[0].ToUpperInvariant()}__{parts[1].ToUpperInvariant()}: '{value}' is not a valid {property.PropertyType.Name}.", e);
        }
    }

    static object ConvertOverride(string value, PropertyInfo property)
    {
        var type = property.PropertyType;
        if (type == typeof(string)) return value;
        if (type == typeof(long)) return long.Parse(value, CultureInfo.InvariantCulture);
        if (type == typeof(bool)) return bool.Parse(value);
        if (type == typeof(List<string>))
        {
            // Accept both a TOML array and a plain comma-separated list.
            return value.Trim().TrimStart('[').TrimEnd(']').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(v => v.Trim('"', '\'')).ToList();
        }
        throw new FormatException($"Type {type.Name} cannot be set from the environment.");
    }

    static void ApplySecrets(LakehouseConfig config)
    {
        var path = config.S3.SecretsPath;
        if (string.IsNullOrEmpty(path)) return;
        if (!File.Exists(path)) throw new ConfigException($"s3.secrets_path '{path}' does not exist.");
        var secrets = Parse(File.ReadAllText(path), path).S3;
        if (config.S3.AccessKeyId.Length == 0) config.S3.AccessKeyId = secrets.AccessKeyId;
        if (config.S3.SecretAccessKey.Length == 0) config.S3.SecretAccessKey = secrets.SecretAccessKey;
    }

    static void Validate(LakehouseConfig config, string source)
    {
        void Check(bool ok, string message)
        {
            if (!ok) throw new ConfigException($"{source}: {message}");
        }
        Check(config.Storage.Backend is "filesystem" or "s3", $"storage.backend must be \"filesystem\" or \"s3\", not \"{config.Storage.Backend}\".");
        foreach (var module in config.Host.Modules)
        {
            Check(ModuleNames.All.Contains(module), $"host.modules names unknown module \"{module}\" (known: {string.Join(", ", ModuleNames.All)}).");
        }
        Check(config.Host.Bind.Contains(':', StringComparison.Ordinal), $"host.bind must be HOST:PORT, not \"{config.Host.Bind}\".");
        Check(config.Host.MaxJsonBytes > 0, "host.max_json_bytes must be positive.");
        Check(Duration.TryParse(config.Host.RequestHeadersTimeout, out _), $"host.request_headers_timeout \"{config.Host.RequestHeadersTimeout}\" is not a duration like \"30s\".");
        Check(config.Host.MinBodyBytesPerSecond >= 0, "host.min_body_bytes_per_second must be 0 (off) or more.");
        Check(config.Auth.Keys.Count > 0 || config.Auth.AllowAnonymous || IsLoopback(config.Host.Bind),
            $"host.bind \"{config.Host.Bind}\" is reachable from other machines and [auth] has no keys, so anyone who can reach it could read and change all data. Add [auth] keys, bind to 127.0.0.1, or set [auth] allow_anonymous = true to serve without keys on purpose.");
        CheckShape(config, source);
        Check(config.Storage.MaxPutBytes > 0, "storage.max_put_bytes must be positive.");
        Check(config.Ingest.MaxIngestBytes > 0, "ingest.max_ingest_bytes must be positive.");
        Check(Duration.TryParse(config.Query.Timeout, out _), $"query.timeout \"{config.Query.Timeout}\" is not a duration like \"30s\", \"500ms\" or \"2m\".");
        Check(Duration.TryParse(config.Catalog.OrphanGrace, out _), $"catalog.orphan_grace \"{config.Catalog.OrphanGrace}\" is not a duration like \"1h\" or \"30m\".");
        Check(Duration.TryParse(config.Catalog.DroppedFileGrace, out _, allowZero: true), $"catalog.dropped_file_grace \"{config.Catalog.DroppedFileGrace}\" is not a duration like \"60s\" (\"0s\": at once).");
        Check(config.Catalog.KeepVersions is >= 1 and <= 1000, "catalog.keep_versions must be from 1 (the current version only) to 1000.");
        Check(config.Catalog.CompactMinFiles is 0 or >= 2, "catalog.compact_min_files must be 0 (no background compaction) or at least 2.");
        Check(config.Catalog.CompactTargetBytes >= 1024 * 1024, "catalog.compact_target_bytes must be at least 1048576 (1 MiB).");
        Check(config.Vectors.FoldMinBytes >= 0, "vectors.fold_min_bytes must be 0 or more.");
        Check(config.Vectors.FoldRatio is >= 0 and <= 100, "vectors.fold_ratio must be from 0 to 100 (a share of the snapshot's size).");
        Check(config.Vectors.FoldMaxDeltas >= 1, "vectors.fold_max_deltas must be at least 1.");
        Check(config.Query.Threads >= 0, "query.threads must be 0 (all cores) or more.");
        Check(config.Ingest.Threads >= 0, "ingest.threads must be 0 (all cores) or more.");
        Check(config.Log.Level is "trace" or "debug" or "info" or "warn" or "warning" or "error", $"log.level \"{config.Log.Level}\" must be trace, debug, info, warn or error.");
        foreach (var key in config.Auth.Keys)
        {
            Check(key.Key.Length > 0, "auth.keys entries need a non-empty key.");
            Check(Roles.All.Contains(key.Role), $"auth.keys role \"{key.Role}\" must be read_write, read_only or module.");
        }
    }

    /// <summary>
    /// Every module a hosted module needs is hosted here or has a [remote] URL, and no URL points
    /// elsewhere for a module hosted here: a shape that cannot work stops the process at start with
    /// the one line that names the module and the key, instead of failing request by request.
    /// </summary>
    static void CheckShape(LakehouseConfig config, string source)
    {
        foreach (var hosted in config.Host.Modules)
        {
            foreach (var needed in ModuleNames.Needs(hosted).Where(n => !config.Hosts(n) && config.Remote.UrlOf(n).Length == 0))
            {
                throw new ConfigException($"{source}: {hosted} needs {needed}: add \"{needed}\" to [host] modules or set [remote] {needed}_url.");
            }
        }
        foreach (var module in new[] { ModuleNames.Storage, ModuleNames.Catalog })
        {
            var url = config.Remote.UrlOf(module);
            if (url.Length == 0) continue;
            if (config.Hosts(module)) throw new ConfigException($"{source}: [remote] {module}_url is set, but this process hosts {module}: remove one of them.");
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Query.Length > 0)
            {
                throw new ConfigException($"{source}: [remote] {module}_url \"{url}\" must be an http:// or https:// base URL such as \"http://127.0.0.1:3111\".");
            }
        }
        if (!Duration.TryParse(config.Remote.Timeout, out _)) throw new ConfigException($"{source}: remote.timeout \"{config.Remote.Timeout}\" is not a duration like \"60s\".");
        if (!Duration.TryParse(config.Remote.Resync, out _)) throw new ConfigException($"{source}: remote.resync \"{config.Remote.Resync}\" is not a duration like \"60s\".");
    }

    /// <summary>Whether HOST:PORT only listens on this machine (127.0.0.0/8, ::1, localhost).</summary>
    static bool IsLoopback(string bind)
    {
        var host = bind[..bind.LastIndexOf(':')].Trim('[', ']');
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (System.Net.IPAddress.TryParse(host, out var address) && System.Net.IPAddress.IsLoopback(address));
    }

    static string SnakeCase(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);

    [GeneratedRegex(@"^\[\[?([^\]]+)\]\]?")]
    private static partial Regex TableHeader();
}
