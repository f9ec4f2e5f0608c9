namespace Lakehouse.Tests.Infrastructure;

/// <summary>A fresh folder under the temp dir, removed on dispose: every test gets its own data root.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("lakehouse-test-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a lingering reader; the temp dir is cleaned by the OS eventually.
        }
    }
}
