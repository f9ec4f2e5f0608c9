namespace Lakehouse.Tests.Infrastructure;

/// <summary>Where the repository and the shared test data are, found from the test binary upwards.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string SharedData => Path.GetFullPath(Path.Combine(Root, "..", "shared", "data"));

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Lakehouse.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Lakehouse.sln not found above " + AppContext.BaseDirectory);
    }
}
