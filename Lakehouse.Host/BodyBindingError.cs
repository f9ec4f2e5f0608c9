using System.Text.Json;
using System.Text.RegularExpressions;

namespace Lakehouse.Host;

/// <summary>
/// What was wrong with a JSON body that did not bind, in the API's words: System.Text.Json names the
/// .NET type it was filling (Lakehouse.Vectors.SearchRequest), which means nothing to a client; the
/// field's name or JSON path is what it needs. A message of another shape is passed on as it is.
/// </summary>
internal static partial class BodyBindingError
{
    public static string Describe(JsonException json)
    {
        if (UnknownField().Match(json.Message) is { Success: true } unknown)
        {
            return $"The body has a field this endpoint does not take: '{unknown.Groups[1].Value}'{Where(json)}.";
        }
        if (json.Path is { } path && WrongType().IsMatch(json.Message))
        {
            return $"The body's {path} is not of the type this endpoint takes there{Where(json)}.";
        }
        return $"The body is not the JSON this endpoint takes: {json.Message}";
    }

    static string Where(JsonException json) =>
        json.LineNumber is { } line && json.BytePositionInLine is { } position ? $" (line {line + 1}, byte {position + 1})" : "";

    [GeneratedRegex(@"^The JSON property '(.*)' could not be mapped to any \.NET member")]
    private static partial Regex UnknownField();

    [GeneratedRegex(@"^The JSON value could not be converted to ")]
    private static partial Regex WrongType();
}
