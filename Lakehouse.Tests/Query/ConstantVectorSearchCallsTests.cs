using FsCheck;
using FsCheck.Fluent;
using Lakehouse.Query;

namespace Lakehouse.Tests.Query;

/// <summary>
/// Which vector_search calls take the table function's road: only calls of constants are rewritten,
/// and only by renaming the function and quoting the list of numbers; text inside strings, quoted
/// identifiers and comments is never touched.
/// </summary>
public sealed class ConstantVectorSearchCallsTests
{
    const string Constant = VectorSearchTableFunction.Name;

    [Theory]
    [InlineData("SELECT * FROM vector_search('docs', [0.5, -0.25, +1e-3, .5, 2., 1E+2], 7)", "SELECT * FROM " + Constant + "('docs', '[0.5, -0.25, +1e-3, .5, 2., 1E+2]', 7)")]
    [InlineData("SELECT * FROM VECTOR_SEARCH ( 'docs' , '[1,2]' , 3 )", "SELECT * FROM " + Constant + " ( 'docs' , '[1,2]' , 3 )")]
    [InlineData("FROM vector_search('d', [1,\n 2], 3, ef := 100, filter := '{\"must\": []}')", "FROM " + Constant + "('d', '[1,\n 2]', 3, ef := 100, filter := '{\"must\": []}')")]
    [InlineData("SELECT * FROM vector_search('docs', [], 3)", "SELECT * FROM " + Constant + "('docs', '[]', 3)")]
    [InlineData("SELECT * FROM vector_search('a', [1], 1) x JOIN vector_search('b', [2], 2, filter => '{}') y USING (id)",
        "SELECT * FROM " + Constant + "('a', '[1]', 1) x JOIN " + Constant + "('b', '[2]', 2, filter => '{}') y USING (id)")]
    [InlineData("SELECT * FROM vector_search(E'd\\'s', [1], 1)", "SELECT * FROM " + Constant + "(E'd\\'s', '[1]', 1)")]
    public void A_call_of_constants_goes_to_the_table_function(string sql, string routed) =>
        Assert.Equal(routed, ConstantVectorSearchCalls.Route(sql));

    [Theory]
    [InlineData("SELECT * FROM vector_search('docs', (SELECT [1, 2]), 3)")]
    [InlineData("SELECT v.* FROM t, vector_search('docs', t.q, 3) v")]
    [InlineData("SELECT * FROM vector_search('docs', '[1, 2]'::FLOAT[], 3)")]
    [InlineData("SELECT * FROM vector_search('docs', [1, 2], 3 + 1)")]
    [InlineData("SELECT * FROM vector_search('docs', [1_000, 2], 3)")]
    [InlineData("SELECT * FROM vector_search('docs', [1, /* two */ 2], 3)")]
    [InlineData("SELECT * FROM vector_search('docs', [1, -- two\n 2], 3)")]
    [InlineData("SELECT * FROM vector_search('docs', [1-2, 3], 3)")]
    [InlineData("SELECT * FROM vector_search('docs', [0.5+0.1, 3], 3)")]
    [InlineData("SELECT * FROM vector_search('docs', [1 2], 3)")]
    [InlineData("SELECT * FROM vector_search('docs', [1, , 2], 3)")]
    [InlineData("SELECT * FROM vector_search('docs', [., 2], 3)")]
    [InlineData("SELECT * FROM vector_search('docs', [1e, 2], 3)")]
    [InlineData("SELECT * FROM vector_search('docs', [1, 2]::FLOAT[], 3)")]
    [InlineData("SELECT * FROM vector_search('docs', [1, 2], 3, ef := 10, ef := 20)")]
    [InlineData("SELECT * FROM vector_search('docs', [1, 2], 3, other := 10)")]
    [InlineData("SELECT * FROM vector_search('docs', [1, 2], 3, filter := NULL)")]
    [InlineData("SELECT * FROM main.vector_search('docs', [1, 2], 3)")]
    [InlineData("SELECT * FROM vector_search('docs', [1, 2], 3")]
    [InlineData("SELECT 'vector_search(''docs'', [1, 2], 3)'")]
    [InlineData("SELECT E'\\' vector_search(''docs'', [1, 2], 3) '")]
    [InlineData("SELECT $tag$ vector_search('docs', [1, 2], 3) $tag$")]
    [InlineData("SELECT 1 -- vector_search('docs', [1, 2], 3)")]
    [InlineData("SELECT 1 /* /* nested */ vector_search('docs', [1, 2], 3) */")]
    [InlineData("SELECT \"vector_search\"('docs', [1, 2], 3)")]
    public void Any_other_text_is_left_as_it_is(string sql) =>
        Assert.Equal(sql, ConstantVectorSearchCalls.Route(sql));

    static readonly string[] Fragments = ["vector_search", "(", ")", "'docs'", ", ", "[1, 2]", "3", "'", "''", "\"", "$$", "--", "\n", "/*", "*/", "\\", "E'", " "];

    static Arbitrary<string> SqlLikeText() => Gen.Elements(Fragments).ArrayOf().Select(parts => string.Concat(parts)).ToArbitrary();

    [Fact]
    public void Text_inside_a_string_constant_or_comment_is_never_rewritten()
    {
        Prop.ForAll(SqlLikeText(), text =>
        {
            string[] enclosed =
            [
                "SELECT '" + text.Replace("'", "''", StringComparison.Ordinal) + "'",
                "SELECT $q$" + text.Replace("$q$", "", StringComparison.Ordinal) + "$q$",
                "SELECT \"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\" FROM t",
                "SELECT 1 /*" + text.Replace("/*", "", StringComparison.Ordinal).Replace("*/", "", StringComparison.Ordinal) + "*/",
                "SELECT 1 --" + text.Replace("\n", " ", StringComparison.Ordinal),
            ];
            return enclosed.All(sql => ConstantVectorSearchCalls.Route(sql) == sql);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Tokens_cover_the_text_outside_comments_and_white_space_exactly()
    {
        const string sql = "SELECT x.\"a \"\"b\"\"\", E'c\\'d', $t$e'$t$, 1.5e-3::FLOAT, 'f''g' /* h /* i */ */ -- j\nFROM y";
        var tokens = SqlTokenizer.All(sql).Select(t => (t.Kind, sql[t.Start..t.End])).ToArray();
        Assert.Equal(
        [
            (SqlTokenKind.Word, "SELECT"), (SqlTokenKind.Word, "x"), (SqlTokenKind.Symbol, "."), (SqlTokenKind.QuotedIdentifier, "\"a \"\"b\"\"\""),
            (SqlTokenKind.Symbol, ","), (SqlTokenKind.String, "E'c\\'d'"), (SqlTokenKind.Symbol, ","), (SqlTokenKind.String, "$t$e'$t$"),
            (SqlTokenKind.Symbol, ","), (SqlTokenKind.Number, "1.5e-3"), (SqlTokenKind.Symbol, "::"), (SqlTokenKind.Word, "FLOAT"),
            (SqlTokenKind.Symbol, ","), (SqlTokenKind.String, "'f''g'"), (SqlTokenKind.Word, "FROM"), (SqlTokenKind.Word, "y"),
        ], tokens);
    }
}
