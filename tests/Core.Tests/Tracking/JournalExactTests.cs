using System.Text;
using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Tracking;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Tracking;

/// <summary>The journal holds one record per line and each epoch exactly once, whatever was killed when.</summary>
public sealed class JournalExactTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static IReadOnlyList<long> LossSteps(string folder) =>
        JournaledRun.From(RunJournal.ReadFile(Path.Combine(folder, RunFiles.Journal))).Metrics.Where(m => m.Key == "loss").Select(m => m.Step).ToList();

    [Fact]
    public void AJournalHeldExclusivelyIsRefusedWithJournalInUseAndLeftAsItWas()
    {
        var folder = temp.Path;
        using (var journal = RunJournal.Open(folder)) journal.Append(RunJournal.RunType, new JsonObject { ["run_id"] = "r1" });
        var path = Path.Combine(folder, RunFiles.Journal);
        var before = File.ReadAllBytes(path);
        // An exclusive holder: FileShare.None is flock(LOCK_EX) on Linux, which every later open of the file honours.
        using (new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            var ex = Assert.Throws<MnistCnnException>(() => RunJournal.Open(folder));
            Assert.Equal((TrackingErrorIds.JournalInUse, ErrorKind.ResourceUnavailable), (ex.ErrorId, ex.Kind));
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
            Assert.IsAssignableFrom<IOException>(ex.InnerException);
        }
        Assert.Equal(before, File.ReadAllBytes(path));
        using var reopened = RunJournal.Open(folder);
        Assert.Single(reopened.Events);
    }

    [Fact]
    public void ALineCutOffByAKillIsDroppedSoTheNextRecordStartsOnItsOwnLine()
    {
        var folder = temp.Path;
        using (var journal = RunJournal.Open(folder))
        {
            journal.Append(RunJournal.RunType, new JsonObject { ["run_id"] = "r1" });
            journal.Append(RunJournal.MetricsType, new JsonObject { ["metrics"] = new JsonArray() });
        }
        var path = Path.Combine(folder, RunFiles.Journal);
        File.AppendAllText(path, "{\"seq\":3,\"time\":\"2026-01-01T00:00:00.000Z\",\"type\":\"met"); // killed mid-write
        var reporter = new RecordingReporter();
        using (var journal = RunJournal.Open(folder, reporter))
        {
            Assert.Equal(2, journal.Events.Count);
            journal.Append(RunJournal.StatusType, new JsonObject { ["status"] = "RUNNING" });
        }
        var lines = File.ReadAllText(path, Encoding.UTF8).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.IsType<JsonObject>(JsonNode.Parse(l)));
        Assert.Contains(reporter.Warnings, w => w.Contains("cut off", StringComparison.Ordinal));
    }

    [Fact]
    public void AResumedRunLogsEachEpochOnce_RedoneEpochsAreNotRepeated_MissedOnesAreFilledIn()
    {
        var folder = temp.Path;
        var run = TrackingTestKit.Start(folder, "run-exact") with { StartEpoch = 0 };
        using (var tracker = new RunTracker(TrackingTestKit.Settings(null)))
        {
            // First attempt: epochs 1 and 2 reach the journal, then the process is killed (no RunEnded).
            tracker.RunStarted(run);
            tracker.EpochCompleted(run, TrackingTestKit.Epoch(1));
            tracker.EpochCompleted(run, TrackingTestKit.Epoch(2));
        }
        Assert.Equal(new long[] { 1, 2 }, LossSteps(folder));

        // Resume 1: its checkpoint held only epoch 1 (killed inside the second checkpoint write): epoch 2 is redone.
        var resumed = run with { StartEpoch = 1, CompletedEpochs = [TrackingTestKit.Epoch(1)] };
        using (var tracker = new RunTracker(TrackingTestKit.Settings(null)))
        {
            tracker.RunStarted(resumed);
            tracker.EpochCompleted(resumed, TrackingTestKit.Epoch(2));
        }
        Assert.Equal(new long[] { 1, 2 }, LossSteps(folder));

        // Resume 2: the checkpoint holds epoch 3, which the journal never got (killed between the two): it is filled in.
        var again = run with { StartEpoch = 3, CompletedEpochs = [TrackingTestKit.Epoch(1), TrackingTestKit.Epoch(2), TrackingTestKit.Epoch(3)] };
        using (var tracker = new RunTracker(TrackingTestKit.Settings(null)))
        {
            TrackingTestKit.RunAll(tracker, again, epochs: 0);
        }
        Assert.Equal(new long[] { 1, 2, 3 }, LossSteps(folder).Order());
        Assert.Equal("FINISHED", JournaledRun.From(RunJournal.ReadFile(Path.Combine(folder, RunFiles.Journal))).Status);
    }
}
