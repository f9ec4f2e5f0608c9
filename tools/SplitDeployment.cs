using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
namespace Lakehouse.Tools;

/// <summary>How the five modules are spread over processes.</summary>
public enum Shape
{
    /// <summary>All five in one process.</summary>
    One,

    /// <summary>storage+catalog | ingest+query+vectors, and a second ingest process.</summary>
    Two,

    /// <summary>storage+catalog | ingest | query+vectors, and a second ingest process.</summary>
    Three,
}

/// <summary>
/// A deployment of real Lakehouse.Host child processes in one shape, configured as an operator would:
/// fixed loopback ports, [remote] URLs, a module key between processes and a read_write key for the
/// caller. Any process can be SIGKILLed and started again on its port. Shared by the tests and the
/// benchmarks (compiled into each).
/// </summary>
public sealed class SplitDeployment : IAsyncDisposable
{
    public const string UserKey = "user-key";
    public const string ModuleKey = "module-key";

    sealed record Role(string Name, string[] Modules, int Port)
    {
        public HostChildProcess? Process { get; set; }
    }

    readonly List<Role> _roles;
    readonly Dictionary<string, string> _storage;
    readonly string _root;
    readonly string _configPath;
    readonly IReadOnlyDictionary<string, string> _extra;

    readonly Action<string>? _onLine;

    SplitDeployment(Shape shape, List<Role> roles, Dictionary<string, string> storage, string root, string configPath, IReadOnlyDictionary<string, string> extra, Action<string>? onLine)
    {
        (Shape, _roles, _storage, _root, _configPath, _extra, _onLine) = (shape, roles, storage, root, configPath, extra, onLine);
    }

    public Shape Shape { get; }

    /// <summary>The processes' names, storage's first: the order to start them in.</summary>
    public IReadOnlyList<string> Roles => [.. _roles.Select(r => r.Name)];

    /// <summary>The process an operator would send this module's requests to (the first that hosts it).</summary>
    public HttpClient For(string module) => Client(_roles.First(r => r.Modules.Contains(module)).Name);

    /// <summary>The two processes that host ingest (the same one twice in the one-process shape).</summary>
    public (HttpClient First, HttpClient Second) Ingesters
    {
        get
        {
            var ingesters = _roles.Where(r => r.Modules.Contains("ingest")).ToList();
            return (Client(ingesters[0].Name), Client(ingesters[^1].Name));
        }
    }

    public HttpClient Client(string role) => _roles.Single(r => r.Name == role).Process!.Client;

    public string Log(string role) => _roles.Single(r => r.Name == role).Process?.Log ?? "";

    /// <param name="storage">LAKEHOUSE settings (section:key) of the storage process's backend.</param>
    /// <param name="extra">Environment for every process (OTEL_* variables, say, or LAKEHOUSE__ settings).</param>
    /// <param name="onLine">Sees each line every process writes.</param>
    /// <param name="onlyStorage">Start the storage+catalog process alone (the others of the shape are never started).</param>
    public static async Task<SplitDeployment> StartAsync(Shape shape, Dictionary<string, string> storage, string root, IReadOnlyDictionary<string, string>? extra = null, bool onlyStorage = false,
        Action<string>? onLine = null)
    {
        var all = new[] { "storage", "catalog", "ingest", "query", "vectors" };
        List<Role> roles = shape switch
        {
            Shape.One => [new("all", all, FreePort())],
            Shape.Two => [new("storage-catalog", ["storage", "catalog"], FreePort()), new("ingest-query-vectors", ["ingest", "query", "vectors"], FreePort()), new("ingest-2", ["ingest"], FreePort())],
            _ => [new("storage-catalog", ["storage", "catalog"], FreePort()), new("ingest", ["ingest"], FreePort()), new("query-vectors", ["query", "vectors"], FreePort()), new("ingest-2", ["ingest"], FreePort())],
        };
        if (onlyStorage) roles = roles[..1];
        var configPath = Path.Combine(root, "keys.toml");
        await File.WriteAllTextAsync(configPath, $$"""
            [auth]
            keys = [{ key = "{{UserKey}}", role = "read_write" }, { key = "{{ModuleKey}}", role = "module" }]
            """);
        var deployment = new SplitDeployment(shape, roles, storage, root, configPath, extra ?? new Dictionary<string, string>(), onLine);
        try
        {
            foreach (var role in roles) await deployment.StartAsync(role);
        }
        catch
        {
            await deployment.DisposeAsync();
            throw;
        }
        return deployment;
    }

    /// <summary>SIGKILLs the process and starts it again with the same configuration on the same port.</summary>
    public async Task RestartAsync(string name)
    {
        await KillAsync(name);
        await StartAsync(_roles.Single(r => r.Name == name));
    }

    /// <summary>SIGKILLs the process; <see cref="RestartAsync"/> brings it back.</summary>
    public async Task KillAsync(string name)
    {
        var role = _roles.Single(r => r.Name == name);
        if (role.Process is not null) await role.Process.DisposeAsync();
        role.Process = null;
    }

    async Task StartAsync(Role role)
    {
        var storageRole = _roles.First(r => r.Modules.Contains("storage"));
        var environment = new Dictionary<string, string>(_extra)
        {
            ["config"] = _configPath,
            ["LAKEHOUSE__HOST__BIND"] = $"127.0.0.1:{role.Port}",
            ["LAKEHOUSE__HOST__MODULES"] = string.Join(",", role.Modules),
            ["LAKEHOUSE__QUERY__CACHE_DIR"] = Path.Combine(_root, "cache-" + role.Name),
            ["LAKEHOUSE__CATALOG__ORPHAN_GRACE"] = "1h",
            ["OTEL_SERVICE_NAME"] = "lakehouse-" + role.Name,
        };
        if (role == storageRole)
        {
            foreach (var (key, value) in HostChildProcess.EnvironmentOf(_storage)) environment[key] = value;
        }
        else
        {
            var url = $"http://127.0.0.1:{storageRole.Port}";
            environment["LAKEHOUSE__REMOTE__STORAGE_URL"] = url;
            if (!role.Modules.Contains("catalog")) environment["LAKEHOUSE__REMOTE__CATALOG_URL"] = url;
            environment["LAKEHOUSE__REMOTE__API_KEY"] = ModuleKey;
        }
        role.Process = await HostChildProcess.StartAsync(environment, _root, _onLine);
        role.Process.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", UserKey);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var role in Enumerable.Reverse(_roles))
        {
            if (role.Process is not null) await role.Process.DisposeAsync();
        }
    }
}
