namespace Lakehouse.Tests.Infrastructure;

/// <summary>Where the repository and its test data are, found from the test binary upwards.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The public test sets the suite reads (Lakehouse.Tests/TestData/README.md names their sources).</summary>
    public static string TestData => Path.Combine(Root, "Lakehouse.Tests", "TestData");

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Lakehouse.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Lakehouse.sln not found above " + AppContext.BaseDirectory);
    }
}
