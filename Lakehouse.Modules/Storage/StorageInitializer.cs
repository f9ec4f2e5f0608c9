using Lakehouse.Common;

namespace Lakehouse.Storage;

/// <summary>Opens the store at start: the S3 bucket is created once the endpoint answers; on the filesystem, what crashed writes left in _tmp is removed.</summary>
internal sealed class StorageInitializer(IObjectStore store) : IModuleInitializer
{
    public string Module => ModuleNames.Storage;

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        switch (store)
        {
            case S3ObjectStore s3:
                return s3.EnsureBucketAsync(cancellationToken);
            case FileSystemObjectStore files:
                files.RemoveStaleTempFiles();
                break;
        }
        return Task.CompletedTask;
    }
}
