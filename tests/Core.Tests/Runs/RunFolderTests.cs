using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Runs;

/// <summary>A new run never writes over a folder that holds a run: refused (RunFolderNotEmpty), or moved aside with force.</summary>
public sealed class RunFolderTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("mnistcnn-runfolder-").FullName;

    public void Dispose() => Directory.Delete(root, true);

    /// <summary>A finished run trained into <paramref name="name"/>; returns its folder and a snapshot of its files.</summary>
    private (string Folder, Dictionary<string, byte[]> Files) FinishedRun(string name)
    {
        var folder = Path.Combine(root, name);
        var data = SyntheticData.Create(train: 64, test: 16);
        using (var lease = RunFolder.ClaimForNewRun(folder, force: false))
        {
            var result = new Trainer().Train(ResumeTests.Small(), data, new TrainingOptions { Epochs = 1, BatchSize = 32, Seed = 3, Device = DeviceKind.Cpu, Report = false, OutputPath = folder }, folderLock: lease);
            result.TrainedModel?.Dispose();
            Assert.Equal(RunStatus.Finished, result.Status);
        }
        return (folder, Snapshot(folder));
    }

    private static Dictionary<string, byte[]> Snapshot(string folder) => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
        .Where(f => !RunFiles.IsFolderFile(Path.GetFileName(f)))
        .ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllBytes);

    [Fact]
    public void AFolderHoldingAFinishedRunIsRefused_SayingWhatToDo_AndNothingOfItIsTouched()
    {
        var (folder, before) = FinishedRun("finished");
        Assert.Contains(RunFiles.Result, before.Keys);

        var ex = Assert.Throws<MnistCnnException>(() => RunFolder.ClaimForNewRun(folder, force: false));
        Assert.Equal("RunFolderNotEmpty", ex.ErrorId);
        Assert.Equal(ErrorKind.ResourceExists, ex.Kind);
        Assert.Equal(folder, ex.Target);
        Assert.Contains("(finished)", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"-ResumeFrom '{folder}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("another -OutputPath", ex.Message, StringComparison.Ordinal);
        Assert.Contains("-Force", ex.Message, StringComparison.Ordinal);

        var after = Snapshot(folder);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));
        Assert.Empty(Directory.EnumerateDirectories(root, "finished.replaced-*"));
        // The refusal let go of the folder: it can be claimed again (here with force).
        using var again = RunFolder.ClaimForNewRun(folder, force: true);
    }

    [Fact]
    public void TrainerTrainWithoutALockGuardsTheFolderTooAndResumingStillWorks()
    {
        var (folder, before) = FinishedRun("core-caller");
        var data = SyntheticData.Create(train: 64, test: 16);
        var options = new TrainingOptions { Epochs = 1, BatchSize = 32, Seed = 3, Device = DeviceKind.Cpu, Report = false, OutputPath = folder };

        // Core code that calls the trainer directly (no cmdlet, no runner, no lock of its own) gets the cmdlet's guard.
        var ex = Assert.Throws<MnistCnnException>(() => new Trainer().Train(ResumeTests.Small(), data, options));
        Assert.Equal((RunsErrorIds.RunFolderNotEmpty, ErrorKind.ResourceExists), (ex.ErrorId, ex.Kind));
        var after = Snapshot(folder);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));

        // Continuing that run is what the folder is for: a resume takes the plain lock.
        var resumed = new Trainer().Train(ResumeTests.Small(), data, options with { Epochs = 2 }, resumeFrom: folder);
        resumed.TrainedModel?.Dispose();
        Assert.Equal((RunStatus.Finished, 2), (resumed.Status, resumed.Epochs.Count));
    }

    [Theory]
    [InlineData("journal.jsonl")]
    [InlineData("checkpoint")]
    [InlineData("model")]
    [InlineData("experiment.json")]
    public void AnyPartOfARunRecordCountsAsARun(string part)
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, "part")).FullName;
        if (part.Contains('.', StringComparison.Ordinal)) File.WriteAllText(Path.Combine(folder, part), "{}");
        else Directory.CreateDirectory(Path.Combine(folder, part));
        var ex = Assert.Throws<MnistCnnException>(() => RunFolder.ClaimForNewRun(folder, force: false));
        Assert.Equal("RunFolderNotEmpty", ex.ErrorId);
        Assert.Contains("already holds a run;", ex.Message, StringComparison.Ordinal);
        // Nothing to resume here, so the message does not offer -ResumeFrom.
        Assert.Contains("It has no checkpoint to resume from.", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("-ResumeFrom", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptyOrNewFolderOrOneWithOtherFilesIsClaimed()
    {
        using (RunFolder.ClaimForNewRun(Path.Combine(root, "new", "run"), force: false)) { }
        var other = Directory.CreateDirectory(Path.Combine(root, "other")).FullName;
        File.WriteAllText(Path.Combine(other, "notes.txt"), "mine");
        using (RunFolder.ClaimForNewRun(other, force: false)) { }
        Assert.Equal("mine", File.ReadAllText(Path.Combine(other, "notes.txt")));
    }

    [Fact]
    public void WithForceTheEarlierRunIsMovedAsideWhole_WithAWarning()
    {
        var (folder, before) = FinishedRun("forced");
        var reporter = new RecordingReporter();
        using (RunFolder.ClaimForNewRun(folder, force: true, reporter))
        {
            Assert.False(RunFolder.HoldsRun(folder));
        }
        var aside = Assert.Single(Directory.EnumerateDirectories(root, "forced.replaced-*"));
        var moved = Snapshot(aside);
        Assert.All(before, kv => Assert.Equal(kv.Value, moved[kv.Key]));
        Assert.Contains($"it was moved to {aside}", Assert.Single(reporter.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void AFolderAnotherWriterHoldsIsRefusedWithRunFolderInUse()
    {
        var folder = Path.Combine(root, "busy");
        using var held = RunLock.Acquire(folder, "training");
        var ex = Assert.Throws<MnistCnnException>(() => RunFolder.ClaimForNewRun(folder, force: true));
        Assert.Equal(RunsErrorIds.RunFolderInUse, ex.ErrorId);
    }
}
