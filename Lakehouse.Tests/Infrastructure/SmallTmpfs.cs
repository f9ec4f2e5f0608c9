using Lakehouse.Tools;

namespace Lakehouse.Tests.Infrastructure;

/// <summary>A real, tiny file system (tmpfs) to fill up: mounting one needs root on Linux, so a test without it is skipped.</summary>
public sealed class SmallTmpfs : IAsyncDisposable
{
    readonly TempFolder _folder;

    SmallTmpfs(TempFolder folder) => _folder = folder;

    public string Path => _folder.Path;

    public static async Task<SmallTmpfs> MountAsync(int megabytes)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") Assert.Skip("Mounting a small tmpfs needs root on Linux.");
        var folder = new TempFolder();
        await ProcessRunner.RunAsync("mount", $"-t tmpfs -o size={megabytes}m tmpfs {folder.Path}", "/");
        return new SmallTmpfs(folder);
    }

    /// <summary>Gives it room again, as an operator freeing space would.</summary>
    public Task ResizeAsync(int megabytes) => ProcessRunner.RunAsync("mount", $"-o remount,size={megabytes}m {Path}", "/");

    /// <summary>A CSV of random hexadecimal text, which no Parquet compression shrinks: about 100 bytes a row.</summary>
    public static string IncompressibleCsv(int rows, int seed)
    {
        var random = new Random(seed);
        var csv = new System.Text.StringBuilder("a,b\n");
        for (var i = 0; i < rows; i++) csv.Append(i).Append(',').Append(Convert.ToHexString(random.GetItems<byte>([.. Enumerable.Range(0, 256).Select(b => (byte)b)], 50))).Append('\n');
        return csv.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await ProcessRunner.RunAsync("umount", $"-l {Path}", "/");
        _folder.Dispose();
    }
}
