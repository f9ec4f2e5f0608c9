namespace Lakehouse.Catalog;

public static class Schemas
{
    /// <summary>Human-readable differences in column names, order and types (nullability aside); empty when they match.</summary>
    public static List<string> Differences(IReadOnlyList<ColumnSchema> expected, IReadOnlyList<ColumnSchema> actual)
    {
        var differences = new List<string>();
        for (var i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            var e = i < expected.Count ? expected[i] : null;
            var a = i < actual.Count ? actual[i] : null;
            if (e is null) differences.Add($"extra column '{a!.Name}' {a.Type}");
            else if (a is null) differences.Add($"missing column '{e.Name}' {e.Type}");
            else if (e.Name != a.Name) differences.Add($"column {i + 1} is '{a.Name}', expected '{e.Name}'");
            else if (e.Type != a.Type) differences.Add($"column '{e.Name}' is {a.Type}, expected {e.Type}");
        }
        return differences;
    }
}
