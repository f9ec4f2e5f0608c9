using Lakehouse.Common;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Host;

public sealed class ConfigLoaderTests
{
    static LakehouseConfig Load(string? path, params (string Key, string Value)[] overrides) =>
        ConfigLoader.Load(path, overrides.Select(o => KeyValuePair.Create(o.Key, (string?)o.Value)), new List<string>());

    static string WriteToml(TempFolder folder, string text)
    {
        var path = Path.Combine(folder.Path, "lakehouse.toml");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void No_file_gives_the_documented_defaults()
    {
        var config = Load(null);
        Assert.Equal("127.0.0.1:3110", config.Host.Bind);
        Assert.Equal(ModuleNames.All, config.Host.Modules);
        Assert.Equal("filesystem", config.Storage.Backend);
        Assert.Equal("./data", config.Storage.Root);
        Assert.Equal(268435456, config.Storage.MaxPutBytes);
        Assert.Equal(268435456, config.Ingest.MaxIngestBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), Duration.Parse(config.Query.Timeout));
        Assert.True(config.Vectors.Persist);
        Assert.Equal("lakehouse-primary", config.S3.Bucket);
        Assert.Empty(config.Auth.Keys);
    }

    [Fact]
    public void The_shipped_config_file_parses_and_equals_the_defaults()
    {
        var shipped = Load(Path.Combine(RepoPaths.Root, "config", "lakehouse.toml"));
        var defaults = Load(null);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(defaults), System.Text.Json.JsonSerializer.Serialize(shipped));
    }

    [Fact]
    public void A_missing_explicit_file_warns_and_uses_defaults()
    {
        var warnings = new List<string>();
        var config = ConfigLoader.Load("/nonexistent/lakehouse.toml", [], warnings);
        Assert.Equal("filesystem", config.Storage.Backend);
        Assert.Contains(warnings, w => w.Contains("/nonexistent/lakehouse.toml", StringComparison.Ordinal));
    }

    [Fact]
    public void Values_from_the_file_are_read()
    {
        using var folder = new TempFolder();
        var path = WriteToml(folder, """
            [host]
            modules = ["storage", "query"]
            [remote]
            catalog_url = "http://127.0.0.1:3111"
            [storage]
            backend = "s3"
            max_put_bytes = 1024
            [ingest]
            threads = 1
            memory_limit = "1GB"
            [auth]
            keys = [{ key = "k1", role = "read_only" }]
            """);
        var config = Load(path);
        Assert.Equal(["storage", "query"], config.Host.Modules);
        Assert.True(config.NeedsRemote(ModuleNames.Catalog));
        Assert.False(config.NeedsRemote(ModuleNames.Storage));
        Assert.Equal("s3", config.Storage.Backend);
        Assert.Equal(1024, config.Storage.MaxPutBytes);
        Assert.Equal((1, "1GB"), (config.Ingest.Threads, config.Ingest.MemoryLimit));
        Assert.Equal((0, ""), (config.Query.Threads, config.Query.MemoryLimit)); // each module has its own
        Assert.Equal("read_only", Assert.Single(config.Auth.Keys).Role);
    }

    [Theory]
    [InlineData("modules = [\"query\"]", "", "query needs storage: add \"storage\" to [host] modules or set [remote] storage_url.")]
    [InlineData("modules = [\"ingest\"]", "storage_url = \"http://127.0.0.1:1\"", "ingest needs catalog: add \"catalog\" to [host] modules or set [remote] catalog_url.")]
    [InlineData("modules = [\"vectors\"]", "", "vectors needs storage: add \"storage\" to [host] modules or set [remote] storage_url.")]
    [InlineData("modules = [\"storage\", \"catalog\"]", "catalog_url = \"http://127.0.0.1:1\"", "[remote] catalog_url is set, but this process hosts catalog")]
    [InlineData("modules = [\"vectors\"]", "storage_url = \"127.0.0.1:3111\"", "[remote] storage_url \"127.0.0.1:3111\" must be an http:// or https:// base URL")]
    public void A_shape_that_cannot_work_is_refused_with_the_module_and_the_key_to_set(string modules, string remote, string expected)
    {
        using var folder = new TempFolder();
        var path = WriteToml(folder, $"[host]\n{modules}\n[remote]\n{remote}\n");
        var error = Assert.Throws<ConfigException>(() => Load(path));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_module_whose_needs_are_remote_is_accepted_and_needs_only_what_it_does_not_host()
    {
        var config = Load(null, ("host:modules", "ingest"), ("remote:storage_url", "http://127.0.0.1:3111"), ("remote:catalog_url", "http://127.0.0.1:3111/"));
        Assert.True(config.NeedsRemote(ModuleNames.Storage));
        Assert.True(config.NeedsRemote(ModuleNames.Catalog));
        Assert.False(config.NeedsRemote(ModuleNames.Query));
    }

    [Fact]
    public void A_syntax_error_names_the_file_and_line()
    {
        using var folder = new TempFolder();
        var path = WriteToml(folder, "[storage]\nbackend = \"filesystem\"\nroot = \n");
        var error = Assert.Throws<ConfigException>(() => Load(path));
        Assert.Contains("lakehouse.toml(3,", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_key_names_the_file_line_and_key()
    {
        using var folder = new TempFolder();
        var path = WriteToml(folder, "[host]\nbind = \"127.0.0.1:1\"\n\n[storage]\nbakend = \"s3\"\n");
        var error = Assert.Throws<ConfigException>(() => Load(path));
        Assert.Contains("lakehouse.toml(5)", error.Message, StringComparison.Ordinal);
        Assert.Contains("'bakend'", error.Message, StringComparison.Ordinal);
        Assert.Contains("[storage]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_section_is_refused()
    {
        using var folder = new TempFolder();
        var path = WriteToml(folder, "[storage]\nroot = \"x\"\n[storag]\nroot = \"y\"\n");
        var error = Assert.Throws<ConfigException>(() => Load(path));
        Assert.Contains("'storag'", error.Message, StringComparison.Ordinal);
        Assert.Contains("(3)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrongly_typed_value_is_refused()
    {
        using var folder = new TempFolder();
        var path = WriteToml(folder, "[storage]\nmax_put_bytes = \"lots\"\n");
        var error = Assert.Throws<ConfigException>(() => Load(path));
        Assert.Contains("lakehouse.toml(2,", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_overrides_win_over_the_file()
    {
        using var folder = new TempFolder();
        var path = WriteToml(folder, "[storage]\nbackend = \"filesystem\"\nmax_put_bytes = 5\n");
        var config = Load(path, ("STORAGE:BACKEND", "s3"), ("storage:max_put_bytes", "77"), ("HOST:MODULES", "storage,vectors"), ("vectors:persist", "false"));
        Assert.Equal("s3", config.Storage.Backend);
        Assert.Equal(77, config.Storage.MaxPutBytes);
        Assert.Equal(["storage", "vectors"], config.Host.Modules);
        Assert.False(config.Vectors.Persist);
    }

    [Theory]
    [InlineData("STORAGE:BAKEND", "x", "unknown key")]
    [InlineData("STORAGEX:ROOT", "x", "unknown section")]
    [InlineData("STORAGE:MAX_PUT_BYTES", "lots", "not a valid")]
    [InlineData("STORAGE:BACKEND", "ftp", "storage.backend")]
    [InlineData("HOST:MODULES", "storage,warehouse", "warehouse")]
    [InlineData("QUERY:TIMEOUT", "soon", "query.timeout")]
    [InlineData("INGEST:THREADS", "-1", "ingest.threads")]
    public void Bad_overrides_are_refused_with_the_key(string key, string value, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Load(null, (key, value)));
        Assert.Contains(expected, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void S3_keys_can_come_from_a_secrets_file()
    {
        using var folder = new TempFolder();
        var secrets = Path.Combine(folder.Path, "secrets.toml");
        File.WriteAllText(secrets, "[s3]\naccess_key_id = \"AKIA\"\nsecret_access_key = \"s3cr3t\"\n");
        var config = Load(null, ("S3:SECRETS_PATH", secrets));
        Assert.Equal("AKIA", config.S3.AccessKeyId);
        Assert.Equal("s3cr3t", config.S3.SecretAccessKey);
    }

    [Theory]
    [InlineData("0.0.0.0:3110")]
    [InlineData("[::]:3110")]
    [InlineData("192.168.1.20:3110")]
    public void A_bind_other_machines_can_reach_without_keys_is_refused_unless_anonymous_is_on_purpose(string bind)
    {
        var error = Assert.Throws<ConfigException>(() => Load(null, ("HOST:BIND", bind)));
        Assert.Contains("allow_anonymous", error.Message, StringComparison.Ordinal);
        Assert.Equal(bind, Load(null, ("HOST:BIND", bind), ("AUTH:ALLOW_ANONYMOUS", "true")).Host.Bind);
    }

    [Theory]
    [InlineData("127.0.0.1:3110")]
    [InlineData("127.0.0.2:0")]
    [InlineData("[::1]:3110")]
    [InlineData("localhost:3110")]
    public void A_loopback_bind_needs_no_keys(string bind) => Assert.Equal(bind, Load(null, ("HOST:BIND", bind)).Host.Bind);

    [Fact]
    public void A_bind_other_machines_can_reach_with_keys_starts()
    {
        using var folder = new TempFolder();
        var path = WriteToml(folder, "[host]\nbind = \"0.0.0.0:3110\"\n[auth]\nkeys = [{ key = \"k\", role = \"read_only\" }]\n");
        Assert.Equal("0.0.0.0:3110", Load(path).Host.Bind);
    }
}
