using Minio;

namespace Lakehouse.Tests.Infrastructure;

/// <summary>Changes stored objects behind the host's back (modules own "_" keys, so not via the API), on either backend.</summary>
public static class StoredObjects
{
    /// <summary>Replaces the object's bytes with <paramref name="damage"/> of them; settings with an "s3:endpoint" mean S3, else the folder <paramref name="root"/>.</summary>
    public static async Task DamageAsync(Dictionary<string, string> settings, string root, string key, Func<byte[], byte[]> damage)
    {
        var cancel = TestContext.Current.CancellationToken;
        if (!settings.TryGetValue("s3:endpoint", out var url))
        {
            var path = Path.Combine(root, key);
            await File.WriteAllBytesAsync(path, damage(await File.ReadAllBytesAsync(path, cancel)), cancel);
            return;
        }
        var endpoint = new Uri(url);
        using var minio = new Minio.MinioClient().WithEndpoint(endpoint.Host, endpoint.Port)
            .WithCredentials(settings["s3:access_key_id"], settings["s3:secret_access_key"]).Build();
        var bucket = settings["s3:bucket"];
        var copy = new MemoryStream();
        await minio.GetObjectAsync(new Minio.DataModel.Args.GetObjectArgs().WithBucket(bucket).WithObject(key).WithCallbackStream(s => s.CopyTo(copy)), cancel);
        var damaged = new MemoryStream(damage(copy.ToArray()));
        await minio.PutObjectAsync(new Minio.DataModel.Args.PutObjectArgs().WithBucket(bucket).WithObject(key).WithStreamData(damaged).WithObjectSize(damaged.Length), cancel);
    }
}
