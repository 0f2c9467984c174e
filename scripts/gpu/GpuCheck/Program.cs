using System.Globalization;
using System.Text.Json.Nodes;
using MnistCnn.Core.Backends;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.GpuCheck;

// The GPU check (docs/gpu.md). Exit codes: 0 every check passed, 1 a check failed, 2 bad arguments or a setup
// problem (libtorch or MNIST not found); gpu-check.json in --out says which, in every case.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(CheckOptions.Usage);
    return 0;
}
return Entry.Run(args, Console.Out, Console.Error);

/// <summary>The runner's whole life: options, libtorch, data, checks, summary.</summary>
internal static class Entry
{
    public const string LogFile = "gpu-check.log";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        CheckOptions options;
        try
        {
            options = CheckOptions.Parse(args);
        }
        catch (MnistCnnException ex)
        {
            stderr.WriteLine($"error {ex.ErrorId}: {ex.Message}");
            return 2;
        }
        Directory.CreateDirectory(options.OutputFolder);
        using var file = new StreamWriter(Path.Combine(options.OutputFolder, LogFile), append: false);
        using var log = new TeeWriter(stdout, file);
        try
        {
            // libtorch first: nothing may touch TorchSharp's natives before the given libtorch is loaded.
            if (options.LibTorchFolder is null)
            {
                throw new MnistCnnException(GpuCheckErrorIds.LibTorchFolderMissing, ErrorKind.InvalidArgument,
                    $"No libtorch given: the bundle carries none. Pass --libtorch DIR or set {CheckOptions.LibTorchVariable} to a folder holding libtorch_cpu.so " +
                    "(on a GPU machine the lib folder of the installed PyTorch, which scripts/gpu/run-gpu-check.sh finds itself).");
            }
            log.WriteLine($"Loading libtorch from {options.LibTorchFolder}");
            var libtorch = LibTorchPreloader.Load(options.LibTorchFolder);
            log.WriteLine($"Loaded {string.Join(", ", libtorch.Files.Select(Path.GetFileName))} (version {libtorch.Version ?? "unknown"}, CUDA {(libtorch.HasCuda ? "yes" : "no")})");
            var data = new MnistLoader().Load(DatasetKind.Mnist, options.DataFolder, new DataLoadOptions { AllowDownload = false, AllowNpm = false });
            log.WriteLine($"Data: {data} from {data.Source}");
            var runner = new CheckRunner(options, log);
            return runner.Run(data, libtorch) ? 0 : 1;
        }
        catch (MnistCnnException ex)
        {
            log.WriteLine($"error {ex.ErrorId}: {ex.Message}");
            WriteSetupError(options, ex);
            return 2;
        }
    }

    private static void WriteSetupError(CheckOptions options, MnistCnnException ex)
    {
        var summary = new JsonObject
        {
            ["tool"] = "MnistCnn.GpuCheck",
            ["passed"] = false,
            ["setupError"] = new JsonObject { ["errorId"] = ex.ErrorId, ["message"] = ex.Message },
            ["checks"] = new JsonArray(),
        };
        File.WriteAllText(Path.Combine(options.OutputFolder, CheckRunner.SummaryFile), summary.ToJsonString());
    }
}

/// <summary>Writes every line to the console and to the log file.</summary>
internal sealed class TeeWriter(TextWriter first, TextWriter second) : TextWriter
{
    public override System.Text.Encoding Encoding => first.Encoding;

    public override void Write(char value)
    {
        first.Write(value);
        second.Write(value);
    }

    public override void Write(string? value)
    {
        first.Write(value);
        second.Write(value);
    }

    public override void WriteLine(string? value)
    {
        first.WriteLine(value);
        second.WriteLine(value);
    }

    public override void Flush()
    {
        first.Flush();
        second.Flush();
    }
}
