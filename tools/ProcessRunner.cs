using System.Diagnostics;

namespace Lakehouse.Tools;

/// <summary>Runs a helper command (npm, node) to its end, for the test fixtures and benchmarks that need one.</summary>
public static class ProcessRunner
{
    /// <summary>The command's standard output; InvalidOperationException with its error output when it fails.</summary>
    public static async Task<string> RunAsync(string file, string arguments, string folder)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{file} {arguments}' in {folder} failed ({process.ExitCode}): {await output}{await error}");
        }
        return await output;
    }
}
