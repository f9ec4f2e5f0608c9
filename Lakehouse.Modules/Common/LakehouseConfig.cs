using Tomlyn.Serialization;

namespace Lakehouse.Common;

// The TOML model of config/lakehouse.toml. Property names map to snake_case keys; every section
// keeps the keys it does not know in Unknown so that ConfigLoader can refuse them.

public sealed class LakehouseConfig
{
    public HostSection Host { get; set; } = new();
    public StorageSection Storage { get; set; } = new();
    public CatalogSection Catalog { get; set; } = new();
    public S3Section S3 { get; set; } = new();
    public IngestSection Ingest { get; set; } = new();
    public QuerySection Query { get; set; } = new();
    public VectorsSection Vectors { get; set; } = new();
    public RemoteSection Remote { get; set; } = new();
    public LogSection Log { get; set; } = new();
    public AuthSection Auth { get; set; } = new();
    public IcebergSection Iceberg { get; set; } = new();

    [TomlExtensionData]
    public IDictionary<string, object?>? Unknown { get; set; }

    public bool Hosts(string module) => Host.Modules.Contains(module, StringComparer.Ordinal);

    /// <summary>Whether a module this process hosts needs <paramref name="module"/>, which it does not host: then it is reached at its [remote] URL.</summary>
    public bool NeedsRemote(string module) => !Hosts(module) && Host.Modules.Any(hosted => ModuleNames.Needs(hosted).Contains(module));
}

public sealed class HostSection
{
    public string Bind { get; set; } = "127.0.0.1:3110";
    public List<string> Modules { get; set; } = [.. ModuleNames.All];
    public long MaxJsonBytes { get; set; } = 32L * 1024 * 1024;
    public string RequestHeadersTimeout { get; set; } = "30s";
    public long MinBodyBytesPerSecond { get; set; } = 240;

    [TomlExtensionData]
    public IDictionary<string, object?>? Unknown { get; set; }
}

public sealed class StorageSection
{
    public string Backend { get; set; } = "filesystem";
    public string Root { get; set; } = "./data";
    public long MaxPutBytes { get; set; } = 256L * 1024 * 1024;

    [TomlExtensionData]
    public IDictionary<string, object?>? Unknown { get; set; }
}

public sealed class S3Section
{
    public string Endpoint { get; set; } = "http://127.0.0.1:9000";
    public string Region { get; set; } = "us-east-1";
    public string Bucket { get; set; } = "lakehouse-primary";
    public string AccessKeyId { get; set; } = "";
    public string SecretAccessKey { get; set; } = "";
    public bool UsePathStyle { get; set; } = true;
    public string SecretsPath { get; set; } = "";

    [TomlExtensionData]
    public IDictionary<string, object?>? Unknown { get; set; }
}

public sealed class CatalogSection
{
    public string OrphanGrace { get; set; } = "1h";
    public string DroppedFileGrace { get; set; } = "60s";
    public long KeepVersions { get; set; } = 10;
    public long CompactMinFiles { get; set; } = 64;
    public long CompactTargetBytes { get; set; } = 128L * 1024 * 1024;

    [TomlExtensionData]
    public IDictionary<string, object?>? Unknown { get; set; }
}

public sealed class IngestSection
{
    public long MaxIngestBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>DuckDB's memory_limit while converting a CSV ("" = DuckDB's default).</summary>
    public string MemoryLimit { get; set; } = "";

    /// <summary>DuckDB's worker threads while converting a CSV (0 = one per core).</summary>
    public long Threads { get; set; }

    [TomlExtensionData]
    public IDictionary<string, object?>? Unknown { get; set; }
}

public sealed class QuerySection
{
    public string Timeout { get; set; } = "30s";
    public string CacheDir { get; set; } = "";
    public long CacheMaxBytes { get; set; } = 8L * 1024 * 1024 * 1024;
    public string MemoryLimit { get; set; } = "";
    public long Threads { get; set; }

    [TomlExtensionData]
    public IDictionary<string, object?>? Unknown { get; set; }
}

public sealed class VectorsSection
{
    public bool Persist { get; set; } = true;
    public long FoldMinBytes { get; set; } = 64L * 1024 * 1024;
    public double FoldRatio { get; set; } = 0.15;
    public long FoldMaxDeltas { get; set; } = 1000;

    [TomlExtensionData]
    public IDictionary<string, object?>? Unknown { get; set; }
}

public sealed class RemoteSection
{
    public string StorageUrl { get; set; } = "";
    public string CatalogUrl { get; set; } = "";
    public string ApiKey { get; set; } = "";
    public string Timeout { get; set; } = "60s";
    public string Resync { get; set; } = "60s";

    /// <summary>The base URL of the process hosting <paramref name="module"/>, or "" when none is set.</summary>
    public string UrlOf(string module) => module switch
    {
        ModuleNames.Storage => StorageUrl,
        ModuleNames.Catalog => CatalogUrl,
        _ => "",
    };

    [TomlExtensionData]
    public IDictionary<string, object?>? Unknown { get; set; }
}

public sealed class IcebergSection
{
    public bool Enabled { get; set; } = true;
    public string LocationBase { get; set; } = "";

    [TomlExtensionData]
    public IDictionary<string, object?>? Unknown { get; set; }
}

public sealed class LogSection
{
    public string Level { get; set; } = "info";

    [TomlExtensionData]
    public IDictionary<string, object?>? Unknown { get; set; }
}

public sealed class AuthSection
{
    public List<AuthKey> Keys { get; set; } = [];
    public bool AllowAnonymous { get; set; }

    [TomlExtensionData]
    public IDictionary<string, object?>? Unknown { get; set; }
}

public sealed class AuthKey
{
    public string Key { get; set; } = "";
    public string Role { get; set; } = "read_write";

    [TomlExtensionData]
    public IDictionary<string, object?>? Unknown { get; set; }
}
