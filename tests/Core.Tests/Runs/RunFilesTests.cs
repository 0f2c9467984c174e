using MnistCnn.Core.Runs;

namespace MnistCnn.Core.Tests.Runs;

/// <summary>The default run folder and the stopped-run hint that Start-CnnTraining shows.</summary>
public sealed class RunFilesTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "mnistcnn-runfiles-" + Guid.NewGuid().ToString("N")[..10]);

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    [Fact]
    public void ANewRunFolderIsNeverAnExistingOne()
    {
        // MNISTCNN_RUNS_DIR, when set, wins over the current directory.
        string runs = Environment.GetEnvironmentVariable("MNISTCNN_RUNS_DIR") is { Length: > 0 } dir ? dir : Path.Combine(root, "runs");
        string first = RunFiles.NewRunFolder(root, "tiny-20260101-000000-" + Guid.NewGuid().ToString("N")[..6]);
        Assert.Equal(runs, Path.GetDirectoryName(first));
        Directory.CreateDirectory(first);
        string second = RunFiles.NewRunFolder(root, Path.GetFileName(first));
        Assert.Equal(first + "-2", second);
        Directory.CreateDirectory(second);
        Assert.Equal(first + "-3", RunFiles.NewRunFolder(root, Path.GetFileName(first)));
        Directory.Delete(first);
        Directory.Delete(second);
    }

    [Fact]
    public void TheStoppedHintSaysHowToResume_OrThatThereIsNothingToResumeFrom()
    {
        string hint = RunFiles.StoppedHint("/runs/a", 2, 5, checkpoint: true);
        Assert.Equal("Training stopped after epoch 2 of 5; the checkpoint is kept in /runs/a/checkpoint. Resume with: Start-CnnTraining -ResumeFrom '/runs/a'", hint);
        Assert.Equal("Training stopped before the first epoch ended; nothing to resume from.", RunFiles.StoppedHint("/runs/a", 0, 5, checkpoint: true));
        Assert.Equal("Training stopped before the first epoch ended; nothing to resume from.", RunFiles.StoppedHint("/runs/a", 2, 5, checkpoint: false));
        Assert.Equal("Training stopped before the first epoch ended; nothing to resume from.", RunFiles.StoppedHint(null, 2, 5, checkpoint: true));
    }
}
