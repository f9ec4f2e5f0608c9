namespace Lakehouse.Query;

/// <summary>What a <see cref="SqlToken"/> is.</summary>
internal enum SqlTokenKind
{
    /// <summary>A bare word: a keyword or an unquoted identifier.</summary>
    Word,
    /// <summary>A string constant: '…', E'…', $tag$…$tag$ (and the prefixed forms, such as X'…').</summary>
    String,
    /// <summary>A "quoted identifier".</summary>
    QuotedIdentifier,
    /// <summary>A number written out: 12, 0.5, .5, 1e-3, 1_000.</summary>
    Number,
    /// <summary>Anything else, one operator or punctuation mark: ( ) [ ] , := :: - …</summary>
    Symbol,
}

/// <summary>One token of SQL text: its kind and where it is (comments and white space are not tokens).</summary>
internal readonly record struct SqlToken(SqlTokenKind Kind, int Start, int Length)
{
    public int End => Start + Length;

    public ReadOnlySpan<char> Text(string sql) => sql.AsSpan(Start, Length);

    public bool Is(string sql, string text) => Text(sql).Equals(text, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether this is the one-character symbol <paramref name="symbol"/>.</summary>
    public bool Is(string sql, char symbol) => Kind == SqlTokenKind.Symbol && Length == 1 && sql[Start] == symbol;
}

/// <summary>
/// Splits SQL into tokens the way DuckDB's (PostgreSQL's) lexer delimits them: above all, it knows
/// where string constants, quoted identifiers and comments begin and end, so that text inside them is
/// never taken for code. It does not judge the SQL; DuckDB's parser does that. Text it cannot
/// delimit (an unterminated string or comment) ends the tokens there. A struct: a copy reads ahead
/// without moving the original.
/// </summary>
internal struct SqlTokenizer(string sql)
{
    /// <summary>Where the next token is looked for.</summary>
    public int Position { get; set; }

    public static List<SqlToken> All(string sql)
    {
        var tokenizer = new SqlTokenizer(sql);
        var tokens = new List<SqlToken>();
        while (tokenizer.Next(out var token)) tokens.Add(token);
        return tokens;
    }

    /// <summary>The next token; false at the end of the text or where it cannot be delimited.</summary>
    public bool Next(out SqlToken token)
    {
        var at = Position;
        while (at < sql.Length)
        {
            var c = sql[at];
            if (char.IsWhiteSpace(c))
            {
                at++;
                continue;
            }
            if (c == '-' && CharAfter(sql, at) == '-')
            {
                var end = sql.IndexOf('\n', at);
                at = end < 0 ? sql.Length : end + 1;
                continue;
            }
            if (c == '/' && CharAfter(sql, at) == '*')
            {
                var end = BlockCommentEnd(sql, at);
                if (end < 0) break;
                at = end;
                continue;
            }
            var (kind, stop) = Delimit(sql, at, c);
            if (stop < 0) break;
            token = new SqlToken(kind, at, stop - at);
            Position = stop;
            return true;
        }
        Position = sql.Length;
        token = default;
        return false;
    }

    /// <summary>The kind and end of the token that starts with <paramref name="c"/> at <paramref name="at"/> (end -1: it never closes).</summary>
    static (SqlTokenKind Kind, int End) Delimit(string sql, int at, char c)
    {
        if (c == '\'') return (SqlTokenKind.String, QuotedEnd(sql, at, '\'', backslashEscapes: false));
        if (c == '"') return (SqlTokenKind.QuotedIdentifier, QuotedEnd(sql, at, '"', backslashEscapes: false));
        if (c == '$' && DollarTag(sql, at) is { } tag)
        {
            var close = sql.IndexOf(tag, at + tag.Length, StringComparison.Ordinal);
            return (SqlTokenKind.String, close < 0 ? -1 : close + tag.Length);
        }
        if (IsWordStart(c))
        {
            var end = at + 1;
            while (end < sql.Length && IsWordPart(sql[end])) end++;
            // A one-letter prefix glued to a quote makes a string: E'…' (backslash escapes), X'…', B'…', U&'…'.
            if (end < sql.Length && sql[end] == '\'' && end - at == 1)
            {
                return (SqlTokenKind.String, QuotedEnd(sql, end, '\'', backslashEscapes: c is 'E' or 'e'));
            }
            if (end + 1 < sql.Length && sql[end] == '&' && sql[end + 1] == '\'' && end - at == 1 && c is 'U' or 'u')
            {
                return (SqlTokenKind.String, QuotedEnd(sql, end + 1, '\'', backslashEscapes: false));
            }
            return (SqlTokenKind.Word, end);
        }
        if (char.IsAsciiDigit(c) || (c == '.' && CharAfter(sql, at) is { } d && char.IsAsciiDigit(d)))
        {
            return (SqlTokenKind.Number, NumberEnd(sql, at));
        }
        var two = at + 1 < sql.Length ? sql.AsSpan(at, 2) : [];
        return (SqlTokenKind.Symbol, at + (two is ":=" or "::" or "=>" ? 2 : 1));
    }

    static char? CharAfter(string sql, int at) => at + 1 < sql.Length ? sql[at + 1] : null;

    static bool IsWordStart(char c) => char.IsLetter(c) || c == '_' || c > 127;

    static bool IsWordPart(char c) => char.IsLetterOrDigit(c) || c is '_' or '$' || c > 127;

    /// <summary>Just past the closing quote (a doubled quote is one quote character), or -1 when it never closes.</summary>
    static int QuotedEnd(string sql, int open, char quote, bool backslashEscapes)
    {
        var at = open + 1;
        while (true)
        {
            var next = backslashEscapes ? sql.AsSpan(at).IndexOfAny(quote, '\\') : sql.AsSpan(at).IndexOf(quote);
            if (next < 0) return -1;
            at += next;
            if (sql[at] == '\\')
            {
                at += 2;
            }
            else if (at + 1 < sql.Length && sql[at + 1] == quote)
            {
                at += 2;
            }
            else
            {
                return at + 1;
            }
            if (at >= sql.Length) return -1;
        }
    }

    /// <summary>Just past a block comment's end (they nest, as in PostgreSQL), or -1 when it never closes.</summary>
    static int BlockCommentEnd(string sql, int open)
    {
        var depth = 0;
        for (var at = open; at + 1 < sql.Length; at++)
        {
            if (sql[at] == '/' && sql[at + 1] == '*')
            {
                depth++;
                at++;
            }
            else if (sql[at] == '*' && sql[at + 1] == '/')
            {
                at++;
                if (--depth == 0) return at + 1;
            }
        }
        return -1;
    }

    /// <summary>The opening $tag$ (or $$) of a dollar-quoted string at <paramref name="at"/>, or null ($1 is a parameter).</summary>
    static string? DollarTag(string sql, int at)
    {
        var end = at + 1;
        if (end < sql.Length && char.IsAsciiDigit(sql[end])) return null;
        while (end < sql.Length && sql[end] != '$' && (char.IsLetterOrDigit(sql[end]) || sql[end] == '_' || sql[end] > 127)) end++;
        return end < sql.Length && sql[end] == '$' ? sql[at..(end + 1)] : null;
    }

    static int NumberEnd(string sql, int at)
    {
        var end = at;
        while (end < sql.Length && (char.IsAsciiDigit(sql[end]) || sql[end] is '.' or '_')) end++;
        if (end < sql.Length && sql[end] is 'e' or 'E')
        {
            var exponent = end + 1;
            if (exponent < sql.Length && sql[exponent] is '+' or '-') exponent++;
            if (exponent < sql.Length && char.IsAsciiDigit(sql[exponent]))
            {
                end = exponent;
                while (end < sql.Length && char.IsAsciiDigit(sql[end])) end++;
            }
        }
        return end;
    }
}
