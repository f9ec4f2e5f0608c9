using System.Text.RegularExpressions;

namespace Lakehouse.Common;

/// <summary>Dataset and vector index names: valid unquoted SQL identifiers, so a dataset is its own view name.</summary>
public static partial class Names
{
    public static bool IsValid(string name) => Pattern().IsMatch(name);

    public static void Validate(string name, string what)
    {
        if (!IsValid(name))
        {
            throw ProblemException.BadRequest(
                $"{what} name '{name}' is invalid: use 1-63 characters of a-z, 0-9 and _, not starting with a digit.");
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex Pattern();
}
