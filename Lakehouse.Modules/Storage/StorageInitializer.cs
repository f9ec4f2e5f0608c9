using Lakehouse.Common;

namespace Lakehouse.Storage;

/// <summary>Opens the store at start: creates the root folder, or the S3 bucket once the endpoint answers.</summary>
internal sealed class StorageInitializer(IObjectStore store) : IModuleInitializer
{
    public string Module => ModuleNames.Storage;

    public Task InitializeAsync(CancellationToken cancellationToken) =>
        store is S3ObjectStore s3 ? s3.EnsureBucketAsync(cancellationToken) : Task.CompletedTask;
}
