using System.Diagnostics;
using System.Globalization;
using System.Text;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Tests.Hostile;

/// <summary>
/// A bounded mutation fuzzer: for a fixed time it mutates inputs of one kind (flip bytes, truncate, duplicate a
/// slice, splice in a slice of another input, overwrite 4 bytes with an extreme integer, insert a token) and runs
/// each through its reader. A case passes when the reader accepts the input or throws a
/// <see cref="MnistCnnException"/> whose id is one the reader is known to raise; anything else (another exception
/// type, an unknown id, more memory than <see cref="MaxManagedBytesPerCase"/> or <see cref="MaxWorkingSetBytes"/>)
/// is a failure, saved to a file so it can be replayed.
/// </summary>
internal sealed class Fuzzer
{
    /// <summary>Seconds per kind: MNISTCNN_FUZZ_SECONDS, default 20 (five kinds, under two minutes in all).</summary>
    public static double SecondsPerKind =>
        double.TryParse(Environment.GetEnvironmentVariable("MNISTCNN_FUZZ_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 ? s : 20;

    /// <summary>MNISTCNN_FUZZ_SEED replays a run; otherwise a new seed each run (printed).</summary>
    public static int Seed =>
        int.TryParse(Environment.GetEnvironmentVariable("MNISTCNN_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) ? s : Random.Shared.Next();

    /// <summary>The most managed memory one case may allocate (512 MiB).</summary>
    public const long MaxManagedBytesPerCase = 512L << 20;

    /// <summary>The most the test process's working set may reach after a case (3 GiB).</summary>
    public const long MaxWorkingSetBytes = 3L << 30;

    private readonly string kind;
    private readonly IReadOnlyList<byte[]> corpus;
    private readonly IReadOnlySet<string> knownIds;
    private readonly byte[][] tokens;
    private readonly int seed = Seed;

    public Fuzzer(string kind, IReadOnlyList<byte[]> corpus, IEnumerable<string> knownIds, IEnumerable<string>? tokens = null)
    {
        this.kind = kind;
        this.corpus = corpus;
        this.knownIds = knownIds.ToHashSet(StringComparer.Ordinal);
        this.tokens = (tokens ?? Array.Empty<string>()).Select(Encoding.UTF8.GetBytes).ToArray();
        Assert.NotEmpty(corpus);
    }

    /// <summary>
    /// Runs mutated inputs through <paramref name="reader"/> (given the bytes and the index of the corpus input they
    /// came from; it may name the outcome, e.g. the first diagnostic code, or return null for "accepted") until the
    /// time budget is spent; returns the summary line after asserting there were no failures.
    /// </summary>
    public string Run(Func<byte[], int, string?> reader)
    {
        var random = new Random(seed);
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        var budget = TimeSpan.FromSeconds(SecondsPerKind);
        long maxAllocated = 0, maxWorkingSet = 0;
        double slowest = 0;
        int cases = 0;
        using var process = Process.GetCurrentProcess();
        while (clock.Elapsed < budget && failures.Count < 5)
        {
            int source = random.Next(corpus.Count);
            var input = Mutate(random, corpus[source]);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var started = clock.Elapsed;
            string outcome;
            try
            {
                outcome = reader(input, source) ?? "accepted";
            }
            catch (MnistCnnException ex) when (knownIds.Contains(ex.ErrorId))
            {
                outcome = ex.ErrorId;
            }
            catch (Exception ex)
            {
                outcome = "FAILED";
                failures.Add(Save(input, cases, ex));
            }
            cases++;
            slowest = Math.Max(slowest, (clock.Elapsed - started).TotalSeconds);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            maxAllocated = Math.Max(maxAllocated, allocated);
            if (allocated > MaxManagedBytesPerCase)
            {
                failures.Add(Save(input, cases, new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"allocated {allocated >> 20} MiB"))));
            }
            if (cases % 16 == 0)
            {
                process.Refresh();
                maxWorkingSet = Math.Max(maxWorkingSet, process.WorkingSet64);
                if (process.WorkingSet64 > MaxWorkingSetBytes)
                {
                    failures.Add(Save(input, cases, new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"working set {process.WorkingSet64 >> 20} MiB"))));
                }
            }
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }
        string summary = string.Create(CultureInfo.InvariantCulture,
            $"fuzz {kind}: {cases} cases in {clock.Elapsed.TotalSeconds:F0} s (seed {seed}, MNISTCNN_FUZZ_SEED replays it); ")
            + string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}"))
            + string.Create(CultureInfo.InvariantCulture,
                $"; at most {maxAllocated >> 10} KiB managed per case (bound {MaxManagedBytesPerCase >> 20} MiB), working set at most {maxWorkingSet >> 20} MiB (bound {MaxWorkingSetBytes >> 20}), slowest case {slowest:F1} s");
        Assert.True(failures.Count == 0, summary + Environment.NewLine + string.Join(Environment.NewLine, failures));
        Assert.True(cases > 0, summary);
        return summary;
    }

    private string Save(byte[] input, int caseNumber, Exception ex)
    {
        string folder = Path.Combine(Path.GetTempPath(), "mnistcnn-fuzz-failures");
        Directory.CreateDirectory(folder);
        string file = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"{kind}-seed{seed}-case{caseNumber}.bin"));
        File.WriteAllBytes(file, input);
        return $"case {caseNumber}: {ex.GetType().FullName}{(ex is MnistCnnException m ? $" ({m.ErrorId})" : "")}: {ex.Message} (input saved to {file})";
    }

    private static readonly uint[] Extremes = { 0, 1, 2, 0x7F, 0xFF, 0x7FFF, 0xFFFF, 50_000, 1_000_000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF };

    /// <summary>One to three stacked mutations of <paramref name="input"/>; the result stays under twice its size plus 1 MiB.</summary>
    public byte[] Mutate(Random random, byte[] input)
    {
        var data = new List<byte>(input);
        int steps = 1 + random.Next(3);
        for (int s = 0; s < steps; s++)
        {
            int n = data.Count;
            switch (random.Next(tokens.Length > 0 ? 7 : 6))
            {
                case 0 or 1: // flip bits in a few bytes
                    for (int i = 0, count = 1 + random.Next(8); i < count && n > 0; i++) data[random.Next(n)] ^= (byte)(1 << random.Next(8));
                    break;
                case 2: // truncate
                    if (n > 0)
                    {
                        int keep = random.Next(n);
                        data.RemoveRange(keep, n - keep);
                    }
                    break;
                case 3: // duplicate a slice
                    if (n > 0 && data.Count < (input.Length * 2) + (1 << 20))
                    {
                        int start = random.Next(n), length = Math.Min(n - start, 1 + random.Next(Math.Min(n, 4096)));
                        data.InsertRange(random.Next(n + 1), data.GetRange(start, length));
                    }
                    break;
                case 4: // splice in a slice of another input
                    var other = corpus[random.Next(corpus.Count)];
                    if (other.Length > 0 && n > 0)
                    {
                        int from = random.Next(other.Length), length = Math.Min(other.Length - from, 1 + random.Next(4096));
                        int at = random.Next(n);
                        data.RemoveRange(at, Math.Min(length, n - at));
                        data.InsertRange(at, other.AsSpan(from, length).ToArray());
                    }
                    break;
                case 5: // overwrite 4 bytes with an extreme big-endian integer (IDX dimensions, PNG sizes, lengths)
                    if (n >= 4)
                    {
                        int at = random.Next(Math.Min(n - 3, 64)) is var head && random.Next(2) == 0 ? head : random.Next(n - 3);
                        uint value = Extremes[random.Next(Extremes.Length)];
                        for (int b = 0; b < 4; b++) data[at + b] = (byte)(value >> (24 - (8 * b)));
                    }
                    break;
                default: // insert a token (YAML structure, JSON punctuation)
                    data.InsertRange(random.Next(n + 1), tokens[random.Next(tokens.Length)]);
                    break;
            }
        }
        return data.ToArray();
    }
}
