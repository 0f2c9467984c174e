using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.IO;
using MnistCnn.Core.Models;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Runs;

/// <summary>What goes wrong around a run folder: damaged checkpoints, a failed resume, a second writer in this process (another process and a full disk: Integration.Tests RunFolderProcessFailureTests).</summary>
public sealed class RunFolderFailureTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("mnistcnn-runfolder-").FullName;

    public void Dispose() => Directory.Delete(root, true);

    private static TrainingOptions Options(string folder, int epochs = 2) => new()
    {
        Epochs = epochs, BatchSize = 32, Seed = 5, Device = DeviceKind.Cpu, Optimizer = OptimizerKind.Adam, OutputPath = folder, Report = false,
    };

    private string FinishedRun(string name)
    {
        var folder = Path.Combine(root, name);
        new Trainer().Train(ResumeTests.Small(), SyntheticData.Create(train: 96, test: 32), Options(folder)).TrainedModel!.Dispose();
        Assert.Equal("FINISHED", (string?)RunResultFile.Read(folder)!["status"]);
        return folder;
    }

    public static TheoryData<string, string> Damages() => new()
    {
        { "state.json", "garbage" },
        { "state.json", "truncate" },
        { "weights.bin", "truncate" },
        { "optimizer.bin", "truncate" },
        { "optimizer.bin", "delete" },
        { "weights.bin", "delete" },
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public void ADamagedCheckpointFileIsNamedAndTheFinishedRecordStaysAsItWas(string file, string damage)
    {
        var folder = FinishedRun($"damaged-{file}-{damage}");
        var path = Path.Combine(folder, RunFiles.Checkpoint, file);
        switch (damage)
        {
            case "garbage": File.WriteAllText(path, "{ this is not json"); break;
            case "truncate": File.WriteAllBytes(path, File.ReadAllBytes(path)[..(int)(new FileInfo(path).Length / 2)]); break;
            default: File.Delete(path); break;
        }
        var before = ResumeTests.Snapshot(folder);

        var ex = Assert.Throws<MnistCnnException>(() => new Trainer().Train(ResumeTests.Small(), SyntheticData.Create(train: 96, test: 32),
            Options(folder, 3), resumeFrom: folder));
        Assert.Equal(RunsErrorIds.CheckpointInvalid, ex.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, ex.Kind);
        Assert.Equal(path, ex.Target);
        Assert.Contains(path, ex.Message);
        Assert.Equal(before, ResumeTests.Snapshot(folder));
    }

    [Fact]
    public void ADamagedModelFileOfAFinishedRunIsNamed()
    {
        var folder = FinishedRun("damaged-model");
        var weights = Path.Combine(folder, RunFiles.Model, ModelStore.WeightsFile);
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..100]);
        var ex = Assert.Throws<MnistCnnException>(() => ModelStore.Load(folder));
        Assert.Equal("ModelWeightsInvalid", ex.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, ex.Kind);
        Assert.Equal(weights, ex.Target);
        Assert.Contains(weights, ex.Message);
    }

    [Fact]
    public void AFolderWithoutACheckpointSaysWhatToPass()
    {
        var ex = Assert.Throws<MnistCnnException>(() => RunCheckpoint.Read(root));
        Assert.Equal(RunsErrorIds.CheckpointNotFound, ex.ErrorId);
        Assert.Equal(ErrorKind.ObjectNotFound, ex.Kind);
    }

    [Fact]
    public void ASecondWriterInThisProcessIsRefusedNamingTheFirst()
    {
        var folder = Path.Combine(root, "locked");
        using (var first = RunLock.Acquire(folder, "training"))
        {
            var ex = Assert.Throws<MnistCnnException>(() => RunLock.Acquire(folder, "training"));
            Assert.Equal(RunsErrorIds.RunFolderInUse, ex.ErrorId);
            Assert.Equal(ErrorKind.ResourceUnavailable, ex.Kind);
            Assert.Contains($"process {Environment.ProcessId} on host {Environment.MachineName}", ex.Message);
            Assert.True(RunLock.IsHeld(folder, out var owner));
            Assert.Equal(Environment.ProcessId, owner!.ProcessId);
        }
        Assert.False(RunLock.IsHeld(folder, out _));
        using var again = RunLock.Acquire(folder, "training");
    }
}
