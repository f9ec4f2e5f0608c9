using System.Diagnostics;
using Lakehouse.Tools;
using Minio;
using Minio.DataModel.Args;

namespace Lakehouse.Bench;

/// <summary>
/// PUT and GET of one large object through REST, against a plain sequential file write+fsync and
/// read of the same size (filesystem backend), and against the Minio SDK talking to s3rver directly
/// (S3 backend). Also the host's peak-RSS growth during the transfer.
/// </summary>
public static class StorageBench
{
    const string Workload = "storage";
    const double MiB = 1024 * 1024;

    public static async Task RunAsync(BenchOptions options)
    {
        var size = 256L * 1024 * 1024;
        var rounds = options.Quick ? 1 : 3;
        var source = Path.Combine(Path.GetTempPath(), "lakehouse-bench-object.bin");
        WriteRandomFile(source, size);
        try
        {
            await FileSystemAsync(source, size, rounds);
            await S3Async(source, size, options.Quick ? 1 : 2);
        }
        finally
        {
            File.Delete(source);
        }
    }

    static async Task FileSystemAsync(string source, long size, int rounds)
    {
        Report.Progress($"filesystem backend: {size / MiB:F0} MiB x {rounds}");
        var anchorFile = Path.Combine(Path.GetTempPath(), "lakehouse-bench-anchor.bin");
        var anchorWrite = Best(rounds, () => PlainWrite(source, anchorFile));
        var anchorRead = Best(rounds, () => PlainRead(anchorFile));
        // A read from disk, for the like-for-like GET figure: the warm one runs at memory speed.
        var cold = DropPageCache();
        var anchorColdRead = cold ? Best(rounds, () =>
        {
            DropPageCache();
            return () => PlainRead(anchorFile);
        }) : 0;
        File.Delete(anchorFile);

        await using var host = await HostProcess.StartAsync();
        using var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(5) };
        var idleRss = host.RssMiB;
        host.ResetPeak();
        var put = await BestAsync(rounds, () => RestPut(http, source));
        var get = await BestAsync(rounds, () => RestGet(http, size));
        var growth = host.PeakRssMiB - idleRss;

        Report.Figure(Workload, "put_mib_s", size / MiB / put, "file_write_fsync", size / MiB / anchorWrite);
        Report.Figure(Workload, "get_warm_mib_s", size / MiB / get, "file_read_page_cache", size / MiB / anchorRead);
        if (cold)
        {
            var coldGet = await BestAsync(rounds, () => RestGet(http, size), dropCacheFirst: true);
            Report.Figure(Workload, "get_cold_mib_s", size / MiB / coldGet, "file_read_from_disk", size / MiB / anchorColdRead);
        }
        Report.Figure(Workload, "put_get_peak_rss_growth_mib", growth, "limit", 64, lowerIsBetter: true);
    }

    static async Task S3Async(string source, long size, int rounds)
    {
        Report.Progress($"s3 backend against s3rver: {size / MiB:F0} MiB x {rounds}");
        var repo = FindRepoRoot();
        await using var s3 = await S3rverProcess.StartAsync(repo);
        var endpoint = new Uri(s3.Endpoint);
        using var minio = new MinioClient().WithEndpoint(endpoint.Host, endpoint.Port).WithCredentials(S3rverProcess.AccessKey, S3rverProcess.SecretKey).Build();
        await minio.MakeBucketAsync(new MakeBucketArgs().WithBucket("anchor"));
        var anchorPut = await BestAsync(rounds, async () =>
        {
            await using var file = File.OpenRead(source);
            await minio.PutObjectAsync(new PutObjectArgs().WithBucket("anchor").WithObject("o").WithStreamData(file).WithObjectSize(file.Length));
        });
        var anchorGet = await BestAsync(rounds, () => minio.GetObjectAsync(new GetObjectArgs().WithBucket("anchor").WithObject("o")
            .WithCallbackStream((stream, token) => stream.CopyToAsync(Stream.Null, token))));

        await using var host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["LAKEHOUSE__STORAGE__BACKEND"] = "s3",
            ["LAKEHOUSE__S3__ENDPOINT"] = s3.Endpoint,
            ["LAKEHOUSE__S3__BUCKET"] = "bench",
            ["LAKEHOUSE__S3__ACCESS_KEY_ID"] = S3rverProcess.AccessKey,
            ["LAKEHOUSE__S3__SECRET_ACCESS_KEY"] = S3rverProcess.SecretKey,
        });
        using var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(5) };
        var idleRss = host.RssMiB;
        host.ResetPeak();
        var put = await BestAsync(rounds, () => RestPut(http, source));
        var get = await BestAsync(rounds, () => RestGet(http, size));
        Report.Figure(Workload, "s3_put_mib_s", size / MiB / put, "minio_sdk_put_s3rver", size / MiB / anchorPut);
        Report.Figure(Workload, "s3_get_mib_s", size / MiB / get, "minio_sdk_get_s3rver", size / MiB / anchorGet);
        Report.Figure(Workload, "s3_put_get_peak_rss_growth_mib", host.PeakRssMiB - idleRss, "limit", 64, lowerIsBetter: true);
    }

    static async Task RestPut(HttpClient http, string source)
    {
        await using var file = File.OpenRead(source);
        using var response = await http.PutAsync("/v1/storage/objects/bench/object.bin", new StreamContent(file, 1 << 20));
        response.EnsureSuccessStatusCode();
    }

    static async Task RestGet(HttpClient http, long size)
    {
        using var response = await http.GetAsync("/v1/storage/objects/bench/object.bin", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0) total += read;
        if (total != size) throw new InvalidOperationException($"GET returned {total} bytes, expected {size}");
    }

    static void PlainWrite(string source, string target)
    {
        using var input = File.OpenRead(source);
        using var output = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 0);
        input.CopyTo(output, 1 << 20);
        output.Flush(flushToDisk: true);
    }

    static void PlainRead(string path)
    {
        using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0);
        var buffer = new byte[1 << 20];
        while (input.Read(buffer) > 0)
        {
        }
    }

    static void WriteRandomFile(string path, long size)
    {
        var buffer = new byte[1 << 20];
        Random.Shared.NextBytes(buffer);
        using var file = File.Create(path);
        for (long written = 0; written < size; written += buffer.Length) file.Write(buffer);
    }

    static double Best(int rounds, Action action) => Best(rounds, () => action);

    /// <summary>Best time of <paramref name="rounds"/>; <paramref name="prepare"/> runs untimed and returns what is timed.</summary>
    static double Best(int rounds, Func<Action> prepare) =>
        Enumerable.Range(0, rounds).Min(_ =>
        {
            var timed = prepare();
            var clock = Stopwatch.StartNew();
            timed();
            return clock.Elapsed.TotalSeconds;
        });

    static async Task<double> BestAsync(int rounds, Func<Task> action, bool dropCacheFirst = false)
    {
        var best = double.MaxValue;
        for (var i = 0; i < rounds; i++)
        {
            if (dropCacheFirst) DropPageCache();
            var clock = Stopwatch.StartNew();
            await action();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>Empties the kernel's page cache (root only); false where that is not allowed.</summary>
    static bool DropPageCache()
    {
        try
        {
            using (var sync = Process.Start("sync")) sync?.WaitForExit();
            File.WriteAllText("/proc/sys/vm/drop_caches", "1");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    internal static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Lakehouse.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Lakehouse.sln not found");
    }
}
