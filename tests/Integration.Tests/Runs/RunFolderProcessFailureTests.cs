using System.Diagnostics;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.IO;
using MnistCnn.Core.Models;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;

namespace MnistCnn.Integration.Tests.Runs;

/// <summary>
/// What goes wrong around a run folder that takes another process: a second process (flock) holding the folder's lock,
/// and a full disk (a small tmpfs, mounted with mount(8)). The failures within one process are in Core.Tests' RunFolderFailureTests.
/// </summary>
public sealed class RunFolderProcessFailureTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("mnistcnn-runfolder-").FullName;

    public void Dispose() => Directory.Delete(root, true);

    private static TrainingOptions Options(string folder, int epochs = 2) => new()
    {
        Epochs = epochs, BatchSize = 32, Seed = 5, Device = DeviceKind.Cpu, Optimizer = OptimizerKind.Adam, OutputPath = folder, Report = false,
    };

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
            var ex = Assert.Throws<MnistCnnException>(() => new Trainer().Train(TestModels.Small(), SyntheticData.Create(train: 64, test: 16), Options(folder, 1)));
            Assert.Equal(RunsErrorIds.RunFolderInUse, ex.ErrorId);
            Assert.Empty(Directory.GetFiles(folder, RunFiles.Result));
        }
        finally
        {
            holder.Kill(entireProcessTree: true); // SIGKILL: the lock dies with the process
            holder.WaitForExit();
        }
        var result = new Trainer().Train(TestModels.Small(), SyntheticData.Create(train: 64, test: 16), Options(folder, 1));
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
            var ex = Assert.Throws<MnistCnnException>(() => new Trainer().Train(TestModels.Small(), data, Options(folder, 3)));
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
            using (var trained = new TrainedModel(new CnnModel(TestModels.Small()), TestModels.Small(), new Preprocessing(28, 28, 1), data.ClassNames, data.Name, TorchSharp.torch.CPU))
            {
                var model = Assert.Throws<MnistCnnException>(() => ModelStore.Save(trained, Path.Combine(folder, "model")));
                Assert.Equal(IOErrorIds.DiskFull, model.ErrorId);
            }
            Assert.False(Directory.Exists(Path.Combine(folder, "model")));
            Assert.Empty(Directory.GetFileSystemEntries(mount, "*.tmp", SearchOption.AllDirectories));

            // With space again, the run resumes from its last checkpoint and finishes.
            Assert.True(Run("mount", "-o", "remount,size=8m", mount).Ok);
            var resumed = new Trainer().Train(TestModels.Small(), data, Options(folder, 3), resumeFrom: folder);
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
