using System.Text;
using System.Text.RegularExpressions;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Repository;

/// <summary>A clone with nothing beside it builds, tests and documents itself: no file points outside the repository.</summary>
public sealed partial class SelfContainedTests
{
    // Spelled in pieces so that this file does not match itself.
    static readonly string[] OutsideReferences = [".." + "/shared", ".." + "\\shared", "FACTS" + ".md"];

    static readonly HashSet<string> SkippedFolders = ["bin", "obj", "node_modules", ".git", "TestResults", "data", "TestData"];

    /// <summary>Our own files: everything under the root except build output, installed packages, data roots and the public test sets.</summary>
    static IEnumerable<string> OwnFiles(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder)) yield return file;
        foreach (var child in Directory.EnumerateDirectories(folder).Where(d => !SkippedFolders.Contains(Path.GetFileName(d))))
        {
            foreach (var file in OwnFiles(child)) yield return file;
        }
    }

    [Fact]
    public void No_file_refers_to_anything_outside_the_repository()
    {
        var files = OwnFiles(RepoPaths.Root).ToList();
        Assert.Contains(files, f => f.EndsWith(".cs", StringComparison.Ordinal));
        var offenders = files
            .Select(file => (file, text: File.ReadAllText(file, Encoding.UTF8)))
            .SelectMany(f => OutsideReferences.Where(r => f.text.Contains(r, StringComparison.Ordinal)).Select(r => $"{Path.GetRelativePath(RepoPaths.Root, f.file)} mentions {r}"))
            .ToList();
        Assert.Empty(offenders);
    }

    public static TheoryData<string> Documents() =>
        [.. new[] { "README.md", "Lakehouse.Tests/TestData/README.md", "Lakehouse.Bench/RESULTS.md" }
            .Concat(Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "docs"), "*.md").Select(f => Path.GetRelativePath(RepoPaths.Root, f)))
            .Order()];

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_link_in_a_document_resolves_inside_the_repository(string document)
    {
        var path = Path.Combine(RepoPaths.Root, document);
        var broken = new List<string>();
        foreach (var target in MarkdownLink().Matches(File.ReadAllText(path)).Select(m => m.Groups[1].Value))
        {
            if (target.StartsWith("https://", StringComparison.Ordinal)) continue;
            var (file, anchor) = target.Split('#', 2) is [var f, var a] ? (f, a) : (target, null);
            var resolved = file.Length == 0 ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, file));
            if (!resolved.StartsWith(RepoPaths.Root + Path.DirectorySeparatorChar, StringComparison.Ordinal)) broken.Add($"{target}: outside the repository");
            else if (!File.Exists(resolved) && !Directory.Exists(resolved)) broken.Add($"{target}: no such file");
            else if (anchor is not null && !Headings(resolved).Contains(anchor)) broken.Add($"{target}: no heading #{anchor}");
        }
        Assert.Empty(broken);
    }

    /// <summary>The anchors GitHub gives a Markdown file's headings: lower case, punctuation dropped, spaces as hyphens.</summary>
    static HashSet<string> Headings(string markdown) =>
        [.. File.ReadLines(markdown).Where(l => l.StartsWith('#'))
            .Select(l => string.Concat(l.TrimStart('#').Trim().ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is '-' or ' ' or '_')).Replace(' ', '-'))];

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();
}
