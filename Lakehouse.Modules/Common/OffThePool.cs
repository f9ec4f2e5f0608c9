namespace Lakehouse.Common;

/// <summary>
/// Runs blocking work — DuckDB calls (DuckDB.NET's async methods block their thread), long CPU work —
/// on a thread of its own instead of the thread pool's. The pool starts with one thread per core and
/// adds more slowly, so a few requests blocked inside DuckDB left every other request waiting for a
/// thread: under 32 clients on 2 cores a 0.5 ms vector search took 730 ms at the median, queued
/// behind group-bys and ingests (Lakehouse.Bench load). Starting a thread costs well under a millisecond,
/// next to work that takes milliseconds to seconds.
/// </summary>
public static class OffThePool
{
    public static Task<T> RunAsync<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>For work written against async APIs that in fact block (DuckDB.NET's): waits for it on the dedicated thread.</summary>
    public static Task<T> RunAsync<T>(Func<Task<T>> work) => RunAsync(() => work().GetAwaiter().GetResult());

    public static Task RunAsync(Action work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
