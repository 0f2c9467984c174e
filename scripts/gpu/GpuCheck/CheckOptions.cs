using System.Globalization;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Training;

namespace MnistCnn.GpuCheck;

/// <summary>What the GPU check runs, from its command line (<see cref="Parse"/>); every count can be cut for a quick run.</summary>
internal sealed record CheckOptions
{
    public const string LibTorchVariable = "MNISTCNN_LIBTORCH_DIR";

    public const string Usage = """
        usage: MnistCnn.GpuCheck --libtorch DIR [options]
          --libtorch DIR        folder holding libtorch's shared libraries (libtorch_cpu.so, libtorch_cuda.so, ...);
                                default: $MNISTCNN_LIBTORCH_DIR. The bundle carries no libtorch of its own.
          --device cuda|cpu     where to train and evaluate (default cuda; cuda fails clearly without a GPU)
          --data DIR            MNIST folder with the four IDX files, .gz or raw (default: $MNIST_DATA_DIR, then the cache)
          --out DIR             where gpu-check.json, gpu-check.log and the saved model go (default ./gpu-check-out)
          --epochs N            tutorial recipe epochs (default 5)
          --fast-spec FILE      the fast recipe's experiment spec (default experiments/fast.yaml)
          --fast-epochs N       fast recipe epochs (default: the spec's)
          --train-limit N       train on the first N training images only (default: all 60,000)
          --test-limit N        evaluate on the first N test images only (default: all 10,000)
          --eval-batches LIST   evaluation batch sizes to time, comma-separated (default 64,256,1024,4096)
          --layout-batches N    training batches timed per memory layout, NCHW and channels-last (default 300; 0: skip)
          --repeats N           timed repeats of evaluation and prediction (default 3)
          --seed N              seed of both recipes (default 1)
          --threads N           libtorch CPU threads (default: libtorch's)
          --quick               a smoke run: 1 tutorial and 1 fast epoch on 4,096 training and 2,000 test images,
                                40 layout batches, 1 repeat (later options still override)
        """;

    public string? LibTorchFolder { get; init; }
    public DeviceKind Device { get; init; } = DeviceKind.Cuda;
    public string? DataFolder { get; init; }
    public string OutputFolder { get; init; } = "gpu-check-out";
    public int TutorialEpochs { get; init; } = 5;
    public string FastSpec { get; init; } = Path.Combine("experiments", "fast.yaml");
    public int? FastEpochs { get; init; }
    public int? TrainLimit { get; init; }
    public int? TestLimit { get; init; }
    public IReadOnlyList<int> EvalBatchSizes { get; init; } = new[] { 64, 256, 1024, 4096 };
    public int LayoutBatches { get; init; } = 300;
    public int Repeats { get; init; } = 3;
    public int Seed { get; init; } = 1;
    public int? Threads { get; init; }

    /// <summary>Parses the command line; unknown options and bad values throw <c>GpuCheckUsage</c> naming the option.</summary>
    public static CheckOptions Parse(IReadOnlyList<string> args, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        environment ??= Environment.GetEnvironmentVariable;
        var o = new CheckOptions { LibTorchFolder = NullIfEmpty(environment(LibTorchVariable)) };
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                ? args[++i]
                : throw Bad($"{name} needs a value.");
            o = name switch
            {
                "--libtorch" => o with { LibTorchFolder = Value() },
                "--device" => o with { Device = ParseDevice(name, Value()) },
                "--data" => o with { DataFolder = Value() },
                "--out" => o with { OutputFolder = Value() },
                "--epochs" => o with { TutorialEpochs = Count(name, Value(), 1) },
                "--fast-spec" => o with { FastSpec = Value() },
                "--fast-epochs" => o with { FastEpochs = Count(name, Value(), 1) },
                "--train-limit" => o with { TrainLimit = Count(name, Value(), 1) },
                "--test-limit" => o with { TestLimit = Count(name, Value(), 1) },
                "--eval-batches" => o with { EvalBatchSizes = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => Count(name, v, 1)).ToArray() },
                "--layout-batches" => o with { LayoutBatches = Count(name, Value(), 0) },
                "--repeats" => o with { Repeats = Count(name, Value(), 1) },
                "--seed" => o with { Seed = Count(name, Value(), 0) },
                "--threads" => o with { Threads = Count(name, Value(), 1) },
                "--quick" => o with { TutorialEpochs = 1, FastEpochs = 1, TrainLimit = 4096, TestLimit = 2000, LayoutBatches = 40, Repeats = 1 },
                _ => throw Bad($"Unknown option '{name}'."),
            };
        }
        if (o.EvalBatchSizes.Count == 0) throw Bad("--eval-batches needs at least one batch size.");
        return o;
    }

    private static DeviceKind ParseDevice(string name, string value) => value.ToUpperInvariant() switch
    {
        "CUDA" => DeviceKind.Cuda,
        "CPU" => DeviceKind.Cpu,
        _ => throw Bad($"{name} must be cuda or cpu (got '{value}')."),
    };

    private static int Count(string name, string value, int min) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min
            ? n
            : throw Bad(string.Create(CultureInfo.InvariantCulture, $"{name} must be a whole number of at least {min} (got '{value}')."));

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static MnistCnnException Bad(string message) =>
        new(GpuCheckErrorIds.GpuCheckUsage, ErrorKind.InvalidArgument, message + " Run with --help for the options.");
}
