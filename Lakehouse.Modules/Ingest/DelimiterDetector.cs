namespace Lakehouse.Ingest;

/// <summary>
/// Picks the delimiter of a CSV whose upload names none, from its first records: a comma when it
/// splits the header into several fields and every sampled record into as many; otherwise the first
/// of semicolon (European exports, where the comma is the decimal mark), tab and pipe that does so;
/// otherwise a comma (one column). Quoted fields are skipped, so a delimiter inside quotes never
/// counts. Only a file that commas would read as one column holding every field, or refuse as
/// ragged, can read differently from a plain comma CSV.
/// </summary>
internal static class DelimiterDetector
{
    /// <summary>How much of the file's start is looked at.</summary>
    public const int SampleBytes = 64 * 1024;

    const int SampleRecords = 100;

    static readonly byte[] Candidates = [(byte)',', (byte)';', (byte)'\t', (byte)'|'];

    /// <param name="start">The file's first bytes (after any BOM).</param>
    /// <param name="whole">Whether <paramref name="start"/> is the whole file (its last record needs no line break).</param>
    public static byte Detect(ReadOnlySpan<byte> start, bool whole)
    {
        foreach (var candidate in Candidates)
        {
            if (SplitsEveryRecordAlike(start, candidate, whole)) return candidate;
        }
        return (byte)',';
    }

    static bool SplitsEveryRecordAlike(ReadOnlySpan<byte> data, byte delimiter, bool whole)
    {
        var header = -1;
        var fields = 1;
        var records = 0;
        var quoted = false;
        var recordStart = true;
        for (var i = 0; i < data.Length && records < SampleRecords; i++)
        {
            var b = data[i];
            if (quoted)
            {
                if (b == '"') quoted = false; // "" inside a quoted field closes and reopens: same count
                continue;
            }
            if (b == '"')
            {
                quoted = true;
            }
            else if (b == delimiter)
            {
                fields++;
            }
            else if (b is (byte)'\n' or (byte)'\r')
            {
                if (b == '\r' && i + 1 < data.Length && data[i + 1] == '\n') i++;
                if (!recordStart && !EndRecord(ref header, fields)) return false;
                if (!recordStart) records++;
                fields = 1;
                recordStart = true;
                continue;
            }
            recordStart = false;
        }
        if (whole && !recordStart && !quoted && records < SampleRecords)
        {
            if (!EndRecord(ref header, fields)) return false;
        }
        return header >= 2;
    }

    /// <summary>Records the header's field count, or checks a later record against it.</summary>
    static bool EndRecord(ref int header, int fields)
    {
        if (header < 0)
        {
            header = fields;
            return fields >= 2;
        }
        return fields == header;
    }
}
