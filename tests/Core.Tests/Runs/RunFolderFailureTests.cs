using MnistCnn.Core.Data;
using System.Diagnostics;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.IO;
using MnistCnn.Core.Models;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Runs;

/// <summary>What goes wrong around a run folder: damaged checkpoints, a failed resume, a second writer, a full disk.</summary>
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

    [SkippableFact]
    public void AnotherProcessHoldingTheFolderBlocksTrainingUntilItDies()
    {
        Skip.IfNot(File.Exists("/usr/bin/flock"), "needs flock(1) from util-linux to hold the lock from a second process");
        var folder = Path.Combine(root, "other-process");
        Directory.CreateDirectory(folder);
        // flock(1) takes the same flock(2) lock the toolkit takes, as another process would.
        using var holder = Process.Start(new ProcessStartInfo("/usr/bin/flock", ["-x", "-o", Path.Combine(folder, RunFiles.Lock), "sleep", "120"]) { UseShellExecute = false })!;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!RunLock.IsHeld(folder, out _) && DateTime.UtcNow < deadline) Thread.Sleep(50);
            var ex = Assert.Throws<MnistCnnException>(() => new Trainer().Train(ResumeTests.Small(), SyntheticData.Create(train: 64, test: 16), Options(folder, 1)));
            Assert.Equal(RunsErrorIds.RunFolderInUse, ex.ErrorId);
            Assert.Empty(Directory.GetFiles(folder, RunFiles.Result));
        }
        finally
        {
            holder.Kill(entireProcessTree: true); // SIGKILL: the lock dies with the process
            holder.WaitForExit();
        }
        var result = new Trainer().Train(ResumeTests.Small(), SyntheticData.Create(train: 64, test: 16), Options(folder, 1));
        Assert.Equal(RunStatus.Finished, result.Status);
        result.TrainedModel!.Dispose();
    }

    [SkippableFact]
    public void AFullDiskGivesDiskFullKeepsTheLastCheckpointAndLeavesNoTempFiles()
    {
        var mount = Path.Combine(root, "tmpfs");
        Directory.CreateDirectory(mount);
        var (ok, why) = Run("mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", mount);
        Skip.IfNot(ok, $"cannot mount a small tmpfs to fill ({why.Trim()}): this test needs root with CAP_SYS_ADMIN");
        try
        {
            var folder = Path.Combine(mount, "run");
            var data = SyntheticData.Create(train: 96, test: 32);
            // One checkpoint (weights + Adam state, about 140 KB) fits; writing the second beside it does not.
            var ex = Assert.Throws<MnistCnnException>(() => new Trainer().Train(ResumeTests.Small(), data, Options(folder, 3)));
            Assert.Equal(IOErrorIds.DiskFull, ex.ErrorId);
            Assert.Equal(ErrorKind.ResourceUnavailable, ex.Kind);
            Assert.Contains("disk is full", ex.Message);
            Assert.Empty(Directory.GetFileSystemEntries(mount, "*.tmp", SearchOption.AllDirectories));
            Assert.Single(RunCheckpoint.Read(folder).Epochs);

            // A file write on the full disk: same id, the previous file intact, no temp file.
            var record = Path.Combine(folder, RunFiles.Result);
            var previous = File.ReadAllText(record);
            var full = Assert.Throws<MnistCnnException>(() => AtomicFile.WriteAllText(record, new string('x', 1 << 20)));
            Assert.Equal(IOErrorIds.DiskFull, full.ErrorId);
            Assert.Equal(previous, File.ReadAllText(record));
            Assert.Empty(Directory.GetFileSystemEntries(mount, "*.tmp", SearchOption.AllDirectories));

            // Saving a model on the full disk: same id, no half-written model folder.
            Fill(Path.Combine(mount, "filler"));
            using (var trained = new TrainedModel(new CnnModel(ResumeTests.Small()), ResumeTests.Small(), new Preprocessing(28, 28, 1), data.ClassNames, data.Name, TorchSharp.torch.CPU))
            {
                var model = Assert.Throws<MnistCnnException>(() => ModelStore.Save(trained, Path.Combine(folder, "model")));
                Assert.Equal(IOErrorIds.DiskFull, model.ErrorId);
            }
            Assert.False(Directory.Exists(Path.Combine(folder, "model")));
            Assert.Empty(Directory.GetFileSystemEntries(mount, "*.tmp", SearchOption.AllDirectories));

            // With space again, the run resumes from its last checkpoint and finishes.
            Assert.True(Run("mount", "-o", "remount,size=8m", mount).Ok);
            var resumed = new Trainer().Train(ResumeTests.Small(), data, Options(folder, 3), resumeFrom: folder);
            Assert.Equal(RunStatus.Finished, resumed.Status);
            Assert.Equal(new[] { 1, 2, 3 }, resumed.Epochs.Select(e => e.Epoch));
            resumed.TrainedModel!.Dispose();
        }
        finally
        {
            Run("umount", "-l", mount);
        }
    }

    /// <summary>Writes zeros until the disk is full (what is left after a failed checkpoint is not enough for a model otherwise).</summary>
    private static void Fill(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
        var block = new byte[4096];
        try
        {
            while (true) stream.Write(block);
        }
        catch (IOException ex) when (StorageErrors.IsDiskFull(ex))
        {
            // full, as wanted
        }
    }

    private static (bool Ok, string Output) Run(string file, params string[] args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false })!;
            string output = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode == 0, output);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (false, ex.Message);
        }
    }
}
