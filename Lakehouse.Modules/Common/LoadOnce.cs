namespace Lakehouse.Common;

/// <summary>
/// A module's start-up load, run once and awaited by every call that needs it, so no request can
/// see (or overwrite) state that is still loading. A failed load (storage down) is forgotten, and
/// the next caller, such as the initializer's retry, starts it again.
/// </summary>
public sealed class LoadOnce(Func<Task> load)
{
    readonly Lock _lock = new();
    Task? _loading;

    public Task EnsureAsync()
    {
        lock (_lock)
        {
            if (_loading is null || _loading.IsFaulted || _loading.IsCanceled) _loading = Task.Run(load);
            return _loading;
        }
    }

    /// <summary>For synchronous callers: blocks only while the first load runs.</summary>
    public void Ensure() => EnsureAsync().GetAwaiter().GetResult();
}
