using System.Text;

namespace Lakehouse.Query;

/// <summary>
/// Finds the <c>vector_search</c> calls whose arguments are all written out as constants (the common
/// form, <c>vector_search('docs', [0.1, …], 10, ef := 100, filter := '{…}')</c>) and sends them to
/// <see cref="VectorSearchTableFunction"/> instead of the general macro, with the vector as its text.
/// Both answer the same; the table function skips the macro's unnest and JSON round trip, and the
/// text spares DuckDB binding one constant per number (128 numbers: about 1.1 ms), as measured in
/// Lakehouse.Bench/RESULTS.md. Any other form, or text this cannot follow, is left as it is and
/// reaches the macro: the rewrite renames one function and quotes one list of numbers, nothing else.
/// </summary>
internal static class ConstantVectorSearchCalls
{
    public static string Route(string sql)
    {
        if (!sql.Contains("vector_search", StringComparison.OrdinalIgnoreCase)) return sql;
        var tokens = new SqlTokenizer(sql);
        StringBuilder? routed = null;
        var copied = 0;
        var afterDot = false;
        while (tokens.Next(out var token))
        {
            var qualified = afterDot;
            afterDot = token.Is(sql, '.');
            if (qualified || token.Kind != SqlTokenKind.Word || !token.Is(sql, "vector_search")) continue;
            var call = tokens; // a copy reads the arguments ahead; the tokens move on only past a match
            if (Arguments(sql, ref call) is not { } vector) continue;
            routed ??= new StringBuilder(sql.Length + 64);
            routed.Append(sql, copied, token.Start - copied).Append(VectorSearchTableFunction.Name);
            copied = token.End;
            if (vector.Text is not null)
            {
                routed.Append(sql, copied, vector.Start - copied).Append(vector.Text);
                copied = vector.End;
            }
            tokens = call;
        }
        return routed is null ? sql : routed.Append(sql, copied, sql.Length - copied).ToString();
    }

    /// <summary>
    /// Where the vector argument is, and its text as a string constant when it is a list of numbers,
    /// when the call's arguments are: a string, a string or a list of numbers, an integer, then
    /// optionally ef := integer and filter := string (each once), and ")"; null for anything else.
    /// </summary>
    static (int Start, int End, string? Text)? Arguments(string sql, ref SqlTokenizer call)
    {
        if (!call.Next(out var token) || !token.Is(sql, '(')) return null;
        if (!call.Next(out token) || token.Kind != SqlTokenKind.String) return null;
        if (!call.Next(out token) || !token.Is(sql, ',')) return null;
        if (!call.Next(out token)) return null;
        (int Start, int End, string? Text) vector;
        if (token.Kind == SqlTokenKind.String)
        {
            vector = (token.Start, token.End, null);
        }
        else if (token.Is(sql, '[') && NumberList(sql, ref call) is { } text)
        {
            vector = (token.Start, call.Position, text);
        }
        else
        {
            return null;
        }
        if (!call.Next(out token) || !token.Is(sql, ',')) return null;
        if (!call.Next(out token) || !IsInteger(sql, token)) return null;
        var named = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (call.Next(out token))
        {
            if (token.Is(sql, ')')) return vector;
            if (!token.Is(sql, ',') || !call.Next(out var name) || !call.Next(out var assign) || !call.Next(out var value)) return null;
            if (!(assign.Is(sql, ":=") || assign.Is(sql, "=>"))) return null;
            var fits = name.Is(sql, "ef") ? IsInteger(sql, value) : name.Is(sql, "filter") && value.Kind == SqlTokenKind.String;
            if (!fits || !named.Add(name.Text(sql).ToString())) return null;
        }
        return null;
    }

    /// <summary>
    /// The list that opened just before the tokenizer's position as a string constant ('[…]'), and the
    /// tokenizer moved past its "]", when it is numbers (each may have a sign) and commas alone; else
    /// null. Anything more (an expression such as 1-2, a comment) sends the call the macro's way, where
    /// DuckDB evaluates it.
    /// </summary>
    static string? NumberList(string sql, ref SqlTokenizer call)
    {
        var close = sql.IndexOf(']', call.Position);
        if (close < 0) return null;
        var inside = sql.AsSpan(call.Position, close - call.Position);
        if (!inside.Trim().IsEmpty)
        {
            foreach (var range in inside.Split(','))
            {
                if (!IsNumber(inside[range].Trim())) return null;
            }
        }
        call.Position = close + 1;
        return string.Concat("'[", inside, "]'");
    }

    /// <summary>A number as SQL writes one: [+|-] digits [. digits] or . digits, then [e|E [+|-] digits].</summary>
    static bool IsNumber(ReadOnlySpan<char> text)
    {
        if (!text.IsEmpty && text[0] is '+' or '-') text = text[1..];
        var exponent = text.IndexOfAny('e', 'E');
        if (exponent >= 0)
        {
            var power = text[(exponent + 1)..];
            if (!power.IsEmpty && power[0] is '+' or '-') power = power[1..];
            if (power.IsEmpty || power.ContainsAnyExcept(Digits)) return false;
            text = text[..exponent];
        }
        var point = text.IndexOf('.');
        var whole = point < 0 ? text : text[..point];
        var fraction = point < 0 ? [] : text[(point + 1)..];
        return whole.Length + fraction.Length > 0 && !whole.ContainsAnyExcept(Digits) && !fraction.ContainsAnyExcept(Digits);
    }

    const string Digits = "0123456789";

    static bool IsInteger(string sql, SqlToken token) =>
        token.Kind == SqlTokenKind.Number && !token.Text(sql).ContainsAnyExcept(Digits);
}
