using System.IO.Compression;
using System.Reflection;
using MnistCnn.Core.Data;
using MnistCnn.Core.Experiments.Spec;
using MnistCnn.Core.Experiments.Sweeps;
using MnistCnn.Core.Models;
using MnistCnn.Core.Prediction;
using MnistCnn.Core.Tests.Data;
using MnistCnn.Core.Tests.Experiments;
using MnistCnn.Core.Tests.Prediction;
using SkiaSharp;
using Xunit.Abstractions;

namespace MnistCnn.Core.Tests.Hostile;

/// <summary>
/// The bounded fuzz test of issue #12: every reader of user files gets mutated copies of real inputs for
/// MNISTCNN_FUZZ_SECONDS (default 20) per kind and must answer each with success or one of its known error ids,
/// within the memory bounds of <see cref="Fuzzer"/>. Each test prints how many cases it ran.
/// </summary>
[Collection("Fuzz")]
public sealed class FuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static IEnumerable<string> ConstantsOf(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!);

    [Fact]
    public void ExperimentSpecs()
    {
        // A copy of experiments/ so 'extends' between the specs still resolves; each case replaces one spec.
        string source = Path.Combine(SpecFiles.RepoRoot(), "experiments");
        string folder = temp.Sub("experiments");
        Directory.CreateDirectory(folder);
        var specs = Directory.GetFiles(source, "*.yaml").Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(specs);
        foreach (var f in specs) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        var corpus = specs.Select(File.ReadAllBytes).ToArray();
        var codes = ConstantsOf(typeof(SpecCodes)).ToHashSet(StringComparer.Ordinal);
        var fuzzer = new Fuzzer("specs", corpus, Array.Empty<string>(),
            new[] { "[", "]", "{", "}", "&a ", "*a", "&b [*a, *a, *a]\n", "\t", ": ", "\n- ", "---\n", "extends: fast.yaml\n", "\"", "'", "!!binary ", "<<: *a\n", "#", "\n  " });
        output.WriteLine(fuzzer.Run((bytes, index) =>
        {
            string path = Path.Combine(folder, Path.GetFileName(specs[index]));
            File.WriteAllBytes(path, bytes);
            try
            {
                ExperimentPlan.Check(path, out var diagnostics, out _);
                var unknown = diagnostics.FirstOrDefault(d => !codes.Contains(d.Code));
                if (unknown is not null) throw new InvalidOperationException("unknown diagnostic code: " + unknown);
                if (diagnostics.Any(d => d.Line < 1 || d.Column < 1 || d.File.Length == 0)) throw new InvalidOperationException("diagnostic without a position: " + diagnostics.First(d => d.Line < 1 || d.Column < 1));
                return diagnostics.Count == 0 ? "valid" : diagnostics[0].Code;
            }
            finally
            {
                File.WriteAllBytes(path, corpus[index]);
            }
        }));
    }

    [Fact]
    public void IdxFiles()
    {
        // The real t10k files, raw and gzip (synthetic ones when MNIST is absent, said in the output). Most cases
        // parse one file; every eighth runs the whole loader on a folder of four files with one of them mutated.
        string? real = DataTestFiles.RealMnistFolder();
        var names = new[] { KnownChecksums.TestImages, KnownChecksums.TestLabels };
        var raw = real is null
            ? new[] { DataTestFiles.Images(2000, 28, 28), DataTestFiles.Labels(2000) }
            : names.Select(n => MnistLoader.FindFiles(real)[n]!).Select(p => p.EndsWith(".gz", StringComparison.Ordinal) ? DataTestFiles.Gunzip(File.ReadAllBytes(p)) : File.ReadAllBytes(p)).ToArray();
        var corpus = raw.Concat(raw.Select(DataTestFiles.Gzip)).ToArray();
        string[] fileNames = names.Concat(names.Select(n => n + ".gz")).ToArray();
        string folder = temp.Sub("idx");
        Directory.CreateDirectory(folder);
        // Train and test both from the t10k files: the loader needs all four names.
        void WriteFolder()
        {
            foreach (var f in Directory.GetFiles(folder)) File.Delete(f);
            File.WriteAllBytes(Path.Combine(folder, KnownChecksums.TrainImages), raw[0]);
            File.WriteAllBytes(Path.Combine(folder, KnownChecksums.TrainLabels), raw[1]);
            File.WriteAllBytes(Path.Combine(folder, KnownChecksums.TestImages), raw[0]);
            File.WriteAllBytes(Path.Combine(folder, KnownChecksums.TestLabels), raw[1]);
        }
        WriteFolder();
        var loader = new MnistLoader();
        int cases = 0;
        var fuzzer = new Fuzzer("idx", corpus, ConstantsOf(typeof(DataErrorIds)));
        output.WriteLine((real is null ? "(synthetic IDX files: the real MNIST was not found) " : "") + fuzzer.Run((bytes, index) =>
        {
            string name = fileNames[index];
            int magic = name.Contains("images", StringComparison.Ordinal) ? IdxReader.ImagesMagic : IdxReader.LabelsMagic;
            if (++cases % 8 != 0)
            {
                IdxReader.Parse(bytes, name, magic);
                return null;
            }
            string target = Path.Combine(folder, (cases % 16 == 0 ? "train" : "t10k") + name[4..]);
            string plain = KnownChecksums.BaseName(target);
            if (File.Exists(plain) && plain != target) File.Delete(plain);
            File.WriteAllBytes(target, bytes);
            try
            {
                loader.Load(DatasetKind.Mnist, folder);
                return "loaded";
            }
            finally
            {
                WriteFolder();
            }
        }));
    }

    [Fact]
    public void PngAndJpegDigits()
    {
        string digits = Path.Combine(SpecFiles.RepoRoot(), "examples", "digits");
        var pngs = new[] { "digit-0.png", "digit-3.png", "digit-7.png" }.Select(n => Path.Combine(digits, n)).ToArray();
        var corpus = new List<byte[]>(pngs.Select(File.ReadAllBytes));
        foreach (var png in pngs.Take(2))
        {
            using var bitmap = SKBitmap.Decode(png);
            using var jpeg = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
            corpus.Add(jpeg.ToArray());
        }
        string path = temp.Sub("case.img");
        var preprocessing = new Preprocessing();
        var fuzzer = new Fuzzer("images", corpus, new[] { "ImageDecodeFailed", "ImageTooLarge", "ImageIncomplete" });
        output.WriteLine(fuzzer.Run((bytes, _) =>
        {
            File.WriteAllBytes(path, bytes);
            var pixels = ImagePreprocessor.Load(path, preprocessing);
            if (pixels.Length != 28 * 28) throw new InvalidOperationException($"{pixels.Length} pixels");
            return null;
        }));
    }

    [Fact]
    public void ModelManifests()
    {
        var (folder, manifest, _) = SavedModel();
        var corpus = new[] { File.ReadAllBytes(manifest) };
        var fuzzer = new Fuzzer("model.json", corpus, new[] { "ModelFileInvalid", "ModelFormatTooNew", "ModelWeightsInvalid" },
            new[] { "{", "}", "[", "]", "\"", ",", ":", "null", "-1", "0", "1e309", "\"lstm\"", "99999999999", "[1,2]" });
        output.WriteLine(fuzzer.Run((bytes, _) =>
        {
            File.WriteAllBytes(manifest, bytes);
            ModelStore.Load(folder).Dispose();
            return null;
        }));
    }

    [Fact]
    public void ModelWeights()
    {
        var (folder, _, weights) = SavedModel();
        var corpus = new[] { File.ReadAllBytes(weights) };
        var fuzzer = new Fuzzer("weights.bin", corpus, new[] { "ModelWeightsInvalid" });
        output.WriteLine(fuzzer.Run((bytes, _) =>
        {
            File.WriteAllBytes(weights, bytes);
            ModelStore.Load(folder).Dispose();
            return null;
        }));
    }

    /// <summary>A small model with every kind of layer, saved: (folder, model.json, weights.bin).</summary>
    private (string Folder, string Manifest, string Weights) SavedModel()
    {
        var spec = new ModelSpec(InputShape.Mnist, 10, new LayerSpec[]
        {
            new Conv2DSpec(4, 3, 3, Padding: Padding.Same), new BatchNormSpec(), new MaxPool2DSpec(), new AvgPool2DSpec(2, 2, Padding: Padding.Same),
            new Conv2DSpec(4, 3, 3, 2, 2), new FlattenSpec(), new DropoutSpec(0.25), new DenseSpec(16), new DenseSpec(10, Activation.Softmax),
        }, "fuzz");
        TorchSharp.torch.manual_seed(1);
        using var model = new TrainedModel(new CnnModel(spec), spec, new Preprocessing(), Enumerable.Range(0, 10).Select(i => $"class {i}").ToArray(), "synthetic", TorchSharp.torch.CPU);
        string folder = temp.Sub("model");
        ModelStore.Save(model, folder);
        return (folder, Path.Combine(folder, ModelStore.ManifestFile), Path.Combine(folder, ModelStore.WeightsFile));
    }
}
