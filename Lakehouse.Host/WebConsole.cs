using System.Reflection;

namespace Lakehouse.Host;

/// <summary>
/// The browser console at / (docs/api.md, "Console"): one page, one script and one stylesheet, embedded
/// in this assembly (Console/), so the binary serves it offline with no build step. It calls only the
/// public REST API, with the key the user gives it, so it can do nothing a curl could not.
/// </summary>
internal static class WebConsole
{
    static readonly (string Path, string File, string ContentType)[] Files =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/console/console.js", "console.js", "text/javascript; charset=utf-8"),
        ("/console/console.css", "console.css", "text/css; charset=utf-8"),
    ];

    public static WebApplication MapWebConsole(this WebApplication app)
    {
        foreach (var (path, file, contentType) in Files)
        {
            var bytes = Read(file);
            app.MapGet(path, (HttpContext context) =>
            {
                context.Response.Headers.CacheControl = "no-cache";
                return Results.Bytes(bytes, contentType);
            }).ExcludeFromDescription();
        }
        return app;
    }

    static byte[] Read(string file)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Lakehouse.Host.Console.{file}")
            ?? throw new InvalidOperationException($"The console's {file} is not embedded in the host.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
