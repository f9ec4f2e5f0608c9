using System.Text;
using Lakehouse.Ingest;

namespace Lakehouse.Tests.Ingest;

public sealed class CsvScannerTests
{
    static CsvShape Scan(string csv, int chunk = int.MaxValue, byte? delimiter = (byte)',', bool header = true) =>
        Scan(Encoding.UTF8.GetBytes(csv), chunk, delimiter, header);

    static CsvShape Scan(byte[] bytes, int chunk = int.MaxValue, byte? delimiter = (byte)',', bool header = true)
    {
        var scanner = new CsvScanner(delimiter, header);
        for (var offset = 0; offset < bytes.Length; offset += chunk) scanner.Feed(bytes.AsSpan(offset, Math.Min(chunk, bytes.Length - offset)));
        return scanner.Finish();
    }

    [Theory]
    [InlineData("0", "BIGINT")]
    [InlineData("-42", "BIGINT")]
    [InlineData("9223372036854775807", "BIGINT")]
    [InlineData("9223372036854775808", "VARCHAR")]   // past BIGINT: an identifier, not a number
    [InlineData("01234", "VARCHAR")]                 // leading zeros: a code
    [InlineData("+5", "VARCHAR")]
    [InlineData("1.5", "DOUBLE")]
    [InlineData("-0.25", "DOUBLE")]
    [InlineData("6.02e23", "DOUBLE")]
    [InlineData("1e999", "VARCHAR")]                 // not finite
    [InlineData(".5", "VARCHAR")]
    [InlineData("1.", "VARCHAR")]
    [InlineData("NaN", "VARCHAR")]
    [InlineData("true", "BOOLEAN")]
    [InlineData("FALSE", "BOOLEAN")]
    [InlineData("yes", "VARCHAR")]
    [InlineData("2024-02-29", "DATE")]
    [InlineData("2023-02-29", "VARCHAR")]            // no such day
    [InlineData("2024-1-2", "VARCHAR")]
    [InlineData("2024-01-02T03:04:05", "TIMESTAMP")]
    [InlineData("2024-01-02 03:04", "TIMESTAMP")]
    [InlineData("2024-01-02T03:04:05.123456Z", "TIMESTAMP")]
    [InlineData("2024-01-02T03:04:05.1234567", "VARCHAR")] // finer than DuckDB keeps
    [InlineData("2024-01-02T03:04:05+02:00", "VARCHAR")]   // DuckDB's TIMESTAMP would drop the offset
    [InlineData("2024-01-02T24:00:00", "VARCHAR")]
    public void A_single_value_gives_its_type(string value, string type) =>
        Assert.Equal(type, Scan($"c\n{value}\n").Types[0]);

    [Theory]
    [InlineData("1|2.5", "DOUBLE")]
    [InlineData("1|x", "VARCHAR")]
    [InlineData("2024-01-01|2024-01-01T00:00:00", "VARCHAR")]
    [InlineData("true|1", "VARCHAR")]
    [InlineData("|1|", "BIGINT")]       // unquoted empty is NULL and fits anything
    [InlineData("||", "VARCHAR")]       // nothing but NULLs
    public void Disagreeing_values_widen_the_column(string values, string type) =>
        Assert.Equal(type, Scan("c\n" + values.Replace('|', '\n') + "\n").Types[0]);

    [Fact]
    public void A_quoted_empty_string_makes_a_column_text()
    {
        var shape = Scan("a,b\n1,\"\"\n2,3\n");
        Assert.Equal(["BIGINT", "VARCHAR"], shape.Types);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void Any_chunking_gives_the_same_shape(int chunk)
    {
        var csv = "\uFEFFid,\"na\"\"me\",note\r\n1,\"x, \"\"y\"\"\r\nz\",2024-01-01\r\n2,,\"\"\r\n-3,\"q\",2024-01-02\r\n";
        var whole = Scan(csv);
        var pieces = Scan(csv, chunk);
        Assert.Equal(["id", "na\"me", "note"], whole.Names);
        Assert.Equal(whole.Names, pieces.Names);
        Assert.Equal(whole.Types, pieces.Types);
        Assert.Equal(3, pieces.Rows);
        Assert.Equal(["BIGINT", "VARCHAR", "VARCHAR"], pieces.Types);
    }

    [Theory]
    [InlineData("a,b\n1,2\n", ',')]
    [InlineData("a;b\n1,5;2\n", ';')]                       // decimal commas
    [InlineData("a,x;b\n1;2\n3;4\n", ';')]                 // a comma in the header alone does not make a comma file
    [InlineData("a\tb\r\n1\t2\r\n", '\t')]
    [InlineData("a|b\n\"x|y\"|z\n", '|')]                   // a delimiter inside quotes does not count
    [InlineData("a,b\n\"1;2\";3\n", ',')]                   // comma first when it splits every record alike
    [InlineData("note\nfirst; second\n", ',')]             // one column: nothing splits the header and the rows alike
    [InlineData("a;b\n1;2\n3\n", ',')]                     // ragged: no candidate fits, the scanner will say which line
    [InlineData("a;b\n\"multi\nline;\";2\n", ';')]
    public void The_delimiter_is_detected_from_the_first_records(string csv, char delimiter) =>
        Assert.Equal((byte)delimiter, DelimiterDetector.Detect(Encoding.UTF8.GetBytes(csv), whole: true));

    [Fact]
    public void A_detected_delimiter_is_the_same_whatever_the_chunking()
    {
        var csv = "x;y\n" + string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{i};\"v,{i}\"\n"));
        foreach (var chunk in new[] { 1, 1000, int.MaxValue })
        {
            var shape = Scan(Encoding.UTF8.GetBytes(csv), chunk, delimiter: null);
            Assert.Equal((byte)';', shape.Delimiter);
            Assert.Equal(["x", "y"], shape.Names);
            Assert.Equal(20_000, shape.Rows);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(int.MaxValue)]
    public void Text_that_is_not_utf8_names_its_line_and_utf8_cut_by_a_chunk_is_fine(int chunk)
    {
        // "é😀" split anywhere by the chunking is still UTF-8; a Latin-1 "é" (one byte, 0xE9) is not.
        var good = Scan(Encoding.UTF8.GetBytes("name,n\né😀,1\n\"x\ny\",2\n"), chunk);
        Assert.Equal(2, good.Rows);
        var latin1 = Encoding.Latin1.GetBytes("name,n\nok,1\n\"multi\nline\",2\ncaf\u00e9,3\n");
        var error = Assert.Throws<CsvFormatException>(() => Scan(latin1, chunk));
        Assert.Equal(5, error.Line);
        Assert.Contains("0xE9 is not UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a,b\n1,2\n3,4,5\n", 3)]
    [InlineData("a,b\n1,2\n\"multi\nline\",2\n5\n", 5)]
    [InlineData("a,b\n1,2\n3,\"never closed\n4,5\n", 3)]
    [InlineData("a,b\n1,\"x\"y\n", 2)]
    public void Faults_name_their_physical_line(string csv, long line)
    {
        foreach (var chunk in new[] { 1, 4, int.MaxValue })
        {
            var error = Assert.Throws<CsvFormatException>(() => Scan(csv, chunk));
            Assert.Equal(line, error.Line);
        }
    }

    [Fact]
    public void Blank_lines_are_skipped_with_several_columns_and_null_rows_with_one()
    {
        Assert.Equal(2, Scan("a,b\n1,2\n\n3,4\n").Rows);
        Assert.Equal(3, Scan("a\n1\n\n3\n").Rows);
    }

    [Fact]
    public void Without_a_header_columns_are_numbered_and_every_row_counts()
    {
        var shape = Scan("1;x\n2;y\n", delimiter: (byte)';', header: false);
        Assert.Equal(["column1", "column2"], shape.Names);
        Assert.Equal(["BIGINT", "VARCHAR"], shape.Types);
        Assert.Equal(2, shape.Rows);
    }

    [Fact]
    public void The_last_record_needs_no_line_break()
    {
        var shape = Scan("a,b\n1,2\n3,");
        Assert.Equal(2, shape.Rows);
        Assert.Equal(["BIGINT", "BIGINT"], shape.Types);
    }

    [Fact]
    public void The_longest_record_is_measured()
    {
        var shape = Scan("a,b\n1,\"" + new string('x', 5000) + "\"\n2,y\n", chunk: 1000);
        Assert.InRange(shape.LongestRecordBytes, 5004, 5010);
    }

    [Theory]
    [InlineData("a,b\n1,5'10\"\n", true)]                                  // one quote: it could open text that runs past a delimiter
    [InlineData("a,b,c\n1,$34.14\"Kids, Hooded\"\n", true)]                  // the shifted row
    [InlineData("a,b\n1,37°36'37.8\"N 121°2'17.9\"W\n", false)]             // quotes that pair up inside the field
    [InlineData("a,b\n1,\"5'10\"\"\"\n", false)]                             // quoted properly
    public void An_unmatched_quote_inside_an_unquoted_field_is_refused_unless_quotes_are_literal(string csv, bool refused)
    {
        if (refused)
        {
            var error = Assert.Throws<CsvFormatException>(() => Scan(csv));
            Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
            Assert.Contains("quotes=literal", error.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(1, Scan(csv).Rows);
        }
        var scanner = new CsvScanner((byte)',', header: true, literalQuotes: true);
        scanner.Feed(Encoding.UTF8.GetBytes(csv));
        Assert.Equal(1, scanner.Finish().Rows);
    }
}
