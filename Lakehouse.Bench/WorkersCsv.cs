using System.Globalization;
using System.Text;

namespace Lakehouse.Bench;

/// <summary>
/// The deterministic "workers" CSV the ingest and query benchmarks share: 18 columns of ids, names,
/// emails, zips with leading zeros, dates, decimals, booleans, nullable ratings, a quoted skills
/// list with commas, 200–600 character notes with quotes and the odd embedded newline, timestamps
/// and nullable manager ids. ~690 bytes a row: 500,000 rows ≈ 340 MB.
/// </summary>
public static class WorkersCsv
{
    static readonly string[] FirstNames = ["Ann", "Bob", "Chen", "Dana", "Eli", "Fatima", "Goran", "Hana", "Ivan", "Julia", "Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya"];
    static readonly string[] LastNames = ["Smith", "Garcia", "Nguyen", "Okafor", "Müller", "Rossi", "Kim", "Novak", "Silva", "Cohen", "Larsen", "Singh"];
    static readonly string[] States = ["ID", "WA", "OR", "CA", "NV", "UT", "MT", "WY", "CO", "AZ", "NM", "TX", "MA", "NJ", "CT", "NH"];
    static readonly string[] Cities = ["Boise", "Seattle", "Portland", "Fresno", "Reno", "Provo", "Helena", "Casper", "Denver", "Tucson", "Santa Fe", "Austin", "Boston", "Newark", "Hartford", "Nashua"];
    static readonly string[] Skills = ["welding", "forklift", "python", "sql", "first aid", "carpentry", "plumbing", "electrical", "driving", "spanish", "excel", "cnc"];
    static readonly string[] Departments = ["ops", "field", "warehouse", "office", "logistics", "maintenance"];
    static readonly string[] Words = ["reliable", "asked", "for", "overtime", "the", "crew", "said", "\"great\"", "shift", "lead", "needs", "training", "on", "safety", "and", "tools", "late", "twice", "in", "march"];

    /// <summary>The file for <paramref name="rows"/> rows under the temp dir, written once and reused.</summary>
    public static string Ensure(int rows)
    {
        var path = Path.Combine(Path.GetTempPath(), $"lakehouse-workers-{rows}.csv");
        if (File.Exists(path)) return path;
        Report.Progress($"writing {rows:N0}-row workers CSV to {path}");
        var temp = path + ".part";
        using (var writer = new StreamWriter(temp, false, new UTF8Encoding(false), 1 << 20))
        {
            Write(writer, rows);
        }
        File.Move(temp, path, overwrite: true);
        return path;
    }

    static void Write(TextWriter writer, int rows)
    {
        var random = new Random(20261124);
        var notes = new StringBuilder();
        writer.Write("worker_id,first_name,last_name,email,phone,zip,state,city,department,hired_on,hourly_rate,is_active,rating,skills,notes,last_seen,manager_id,years_experience\n");
        var start = new DateTime(2015, 1, 1);
        for (var id = 1; id <= rows; id++)
        {
            var first = FirstNames[random.Next(FirstNames.Length)];
            var last = LastNames[random.Next(LastNames.Length)];
            var state = random.Next(States.Length);
            notes.Clear();
            var length = random.Next(200, 600);
            while (notes.Length < length)
            {
                notes.Append(Words[random.Next(Words.Length)]).Append(random.Next(40) == 0 ? '\n' : ' ');
            }
            var skills = string.Join(", ", Enumerable.Range(0, random.Next(1, 5)).Select(_ => Skills[random.Next(Skills.Length)]));
            var hired = start.AddDays(random.Next(0, 3650));
            var seen = hired.AddSeconds(random.Next(0, 300_000_000));
            writer.Write(string.Create(CultureInfo.InvariantCulture,
                $"{id},{first},{last},{first.ToLowerInvariant()}.{last.ToLowerInvariant()}{id}@example.com,+1-555-{random.Next(0, 10000):D4},{random.Next(0, 100000):D5},{States[state]},{Cities[state]},{Departments[random.Next(Departments.Length)]},"
                + $"{hired:yyyy-MM-dd},{random.Next(1500, 9000) / 100.0:0.00},{(random.Next(10) > 0 ? "true" : "false")},{(random.Next(5) == 0 ? "" : (random.Next(10, 50) / 10.0).ToString("0.0", CultureInfo.InvariantCulture))},"
                + $"\"{skills}\",\"{notes.ToString().Replace("\"", "\"\"", StringComparison.Ordinal)}\",{seen:yyyy-MM-ddTHH:mm:ss},{(random.Next(8) == 0 ? "" : random.Next(1, Math.Max(2, id)).ToString(CultureInfo.InvariantCulture))},{random.Next(0, 40)}\n"));
        }
    }
}
