using System.Text;

namespace Lakehouse.Query;

/// <summary>
/// Finds the <c>vector_search</c> calls whose arguments are all written out as constants (the common
/// form, <c>vector_search('docs', [0.1, …], 10, ef := 100, filter := '{…}')</c>) and sends them to
/// <see cref="VectorSearchTableFunction"/> instead of the general macro, with the vector as its text.
/// Both answer the same; the table function skips the macro's unnest (about 0.6 ms a query) and the
/// text spares DuckDB binding one constant per number (128 numbers: about 1.1 ms), as measured in
/// Lakehouse.Bench/RESULTS.md. Any other form, or text this cannot follow, is left as it is and
/// reaches the macro: the rewrite renames one function and quotes one list of numbers, nothing else.
/// </summary>
internal static class ConstantVectorSearchCalls
{
    public static string Route(string sql)
    {
        if (!sql.Contains("vector_search", StringComparison.OrdinalIgnoreCase)) return sql;
        var tokens = SqlTokens.Of(sql);
        StringBuilder? routed = null;
        var copied = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            if (!IsCall(sql, tokens, i) || Match(sql, tokens, i + 2) is not { } vector) continue;
            routed ??= new StringBuilder(sql.Length + 64);
            routed.Append(sql, copied, tokens[i].Start - copied).Append(VectorSearchTableFunction.Name);
            copied = tokens[i].End;
            if (vector.Text is not null)
            {
                routed.Append(sql, copied, vector.Span.Start - copied).Append(vector.Text);
                copied = vector.Span.End;
            }
        }
        return routed is null ? sql : routed.Append(sql, copied, sql.Length - copied).ToString();
    }

    /// <summary>An unqualified vector_search followed by "(".</summary>
    static bool IsCall(string sql, List<SqlToken> tokens, int i) =>
        tokens[i].Kind == SqlTokenKind.Word && tokens[i].Is(sql, "vector_search")
        && (i == 0 || !tokens[i - 1].Is(sql, '.'))
        && i + 1 < tokens.Count && tokens[i + 1].Is(sql, '(');

    /// <summary>
    /// The vector argument's span, and its text as a string constant when it is a list of numbers,
    /// when the arguments
    /// from token <paramref name="at"/> on are: a string, a string or list of numbers, an integer, then
    /// optionally ef := integer and filter := string, and ")".
    /// </summary>
    static (SqlToken Span, string? Text)? Match(string sql, List<SqlToken> tokens, int at)
    {
        SqlToken Token(int i) => i < tokens.Count ? tokens[i] : new SqlToken(SqlTokenKind.Symbol, sql.Length, 0);
        if (Token(at).Kind != SqlTokenKind.String || !Token(at + 1).Is(sql, ',')) return null;
        at += 2;
        (SqlToken Span, string? Text) vector;
        if (Token(at).Kind == SqlTokenKind.String)
        {
            vector = (Token(at++), null);
        }
        else if (NumberList(sql, tokens, at) is { } list)
        {
            vector = (new SqlToken(SqlTokenKind.Symbol, Token(at).Start, Token(list.Close).End - Token(at).Start), list.Text);
            at = list.Close + 1;
        }
        else
        {
            return null;
        }
        if (!Token(at).Is(sql, ',') || !IsInteger(sql, Token(at + 1))) return null;
        at += 2;
        var named = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (Token(at).Is(sql, ','))
        {
            var name = Token(at + 1);
            var value = Token(at + 3);
            if (!(Token(at + 2).Is(sql, ":=") || Token(at + 2).Is(sql, "=>"))) return null;
            var fits = name.Is(sql, "ef") ? IsInteger(sql, value) : name.Is(sql, "filter") && value.Kind == SqlTokenKind.String;
            if (!fits || !named.Add(name.Text(sql).ToString())) return null;
            at += 4;
        }
        return Token(at).Is(sql, ')') ? vector : null;
    }

    /// <summary>
    /// A list of one or more numbers (each may have a sign) that opens at <paramref name="at"/>: the
    /// index of its "]" and the list as a string constant of its tokens alone (a comment inside is dropped).
    /// </summary>
    static (int Close, string Text)? NumberList(string sql, List<SqlToken> tokens, int at)
    {
        if (at >= tokens.Count || !tokens[at].Is(sql, '[')) return null;
        var text = new StringBuilder(sql.Length - tokens[at].Start + 2).Append("'[");
        for (var i = at + 1; i + 1 < tokens.Count; i++)
        {
            if ((tokens[i].Is(sql, '-') || tokens[i].Is(sql, '+')) && i + 2 < tokens.Count)
            {
                text.Append(tokens[i].Text(sql));
                i++;
            }
            // 1_000 is a number to DuckDB, not to float.Parse: such a list stays with the macro.
            if (tokens[i].Kind != SqlTokenKind.Number || tokens[i].Text(sql).Contains('_')) return null;
            text.Append(tokens[i].Text(sql));
            i++;
            if (tokens[i].Is(sql, ']')) return (i, text.Append("]'").ToString());
            if (!tokens[i].Is(sql, ',')) return null;
            text.Append(',');
        }
        return null;
    }

    static bool IsInteger(string sql, SqlToken token)
    {
        if (token.Kind != SqlTokenKind.Number) return false;
        foreach (var c in token.Text(sql))
        {
            if (!char.IsAsciiDigit(c)) return false;
        }
        return true;
    }
}
