using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Data;

/// <summary>An image of an image folder that could not be used, with the error that says why.</summary>
public sealed record ImageFileProblem(string Path, MnistCnnException Error);

/// <summary>What <see cref="ImageFolderLoader.Load"/> read: the dataset, which file each example came from, and the files it skipped.</summary>
public sealed record ImageFolderImport(MnistDataset Dataset, IReadOnlyList<string> TrainFiles, IReadOnlyList<string> TestFiles, IReadOnlyList<ImageFileProblem> Problems);

/// <summary>
/// Reads your own images laid out as Keras' <c>image_dataset_from_directory</c> and torchvision's <c>ImageFolder</c>
/// expect: one sub-folder per class, named after it (sorted ordinally, so "0".."9" are labels 0..9), holding PNG or
/// JPEG files at any depth. Every image is prepared as <c>Invoke-CnnPredict</c> prepares pictures
/// (<see cref="ImagePreprocessor"/>: greyscale, light paper inverted, the ink fitted into 20x20 and centred in
/// 28x28; images already 28x28 are only made grey). Each class is split on its own into train and test with a
/// seeded shuffle, so every class is in both splits in the same proportion and the same seed gives the same split.
/// Files that cannot be decoded are skipped and listed in <see cref="ImageFolderImport.Problems"/>; a class left
/// without images is an error.
/// </summary>
public static class ImageFolderLoader
{
    public const double DefaultTestFraction = 0.2;

    /// <summary>
    /// Whether <paramref name="folder"/> is meant as an image folder rather than an IDX folder: none of the four IDX
    /// files, and sub-folders or images (images without class sub-folders then get <c>ImageFolderNoClasses</c>,
    /// which says how to lay them out).
    /// A folder that cannot be listed is not taken for one: the IDX loader then says it cannot be read.
    /// </summary>
    public static bool IsImageFolder(string folder)
    {
        try
        {
            return Directory.Exists(folder) && MnistLoader.FindFiles(folder).Values.All(p => p is null) &&
                (Directory.EnumerateDirectories(folder).Any() ||
                 Directory.EnumerateFiles(folder).Any(f => ImagePreprocessor.SupportedExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())));
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            return false;
        }
    }

    public static ImageFolderImport Load(string folder, double testFraction = DefaultTestFraction, int seed = 0, IReporter? reporter = null, CancellationToken cancellationToken = default)
    {
        reporter ??= NullReporter.Instance;
        var root = Path.GetFullPath(folder);
        if (double.IsNaN(testFraction) || testFraction <= 0 || testFraction >= 1)
        {
            throw new MnistCnnException(DataErrorIds.TestFractionInvalid, ErrorKind.InvalidArgument, string.Create(CultureInfo.InvariantCulture,
                $"The test fraction must be between 0 and 1 (exclusive), not {testFraction}. Use for example 0.2 to keep a fifth of each class for testing."), root);
        }
        if (!Directory.Exists(root))
        {
            throw new MnistCnnException(DataErrorIds.DataFolderNotFound, ErrorKind.ObjectNotFound,
                $"The folder '{root}' does not exist. Pass -Path a folder with one sub-folder of images per class.", root);
        }
        var classFolders = Directory.GetDirectories(root).Order(StringComparer.Ordinal).ToArray();
        if (classFolders.Length == 0)
        {
            throw new MnistCnnException(DataErrorIds.ImageFolderNoClasses, ErrorKind.InvalidData,
                $"'{root}' has no class sub-folders. Put the images into one sub-folder per class (e.g. '{Path.Combine(root, "cat")}', '{Path.Combine(root, "dog")}'), " +
                "or pass a folder with the four MNIST IDX files.", root);
        }
        if (classFolders.Length > 256)
        {
            throw new MnistCnnException(DataErrorIds.ImageFolderTooManyClasses, ErrorKind.InvalidData, string.Create(CultureInfo.InvariantCulture,
                $"'{root}' has {classFolders.Length} class sub-folders; at most 256 classes are supported. Remove folders that are not classes."), root);
        }

        var preprocessing = new Preprocessing();
        int size = preprocessing.Height * preprocessing.Width;
        var classNames = classFolders.Select(Path.GetFileName).OfType<string>().ToArray();
        var perClass = new List<(string File, byte[] Pixels)>[classFolders.Length];
        var problems = new List<ImageFileProblem>();
        var files = classFolders.Select(c => Directory.EnumerateFiles(c, "*", SearchOption.AllDirectories)
            .Where(f => ImagePreprocessor.SupportedExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal).ToArray()).ToArray();
        int total = files.Sum(f => f.Length), done = 0;
        for (int c = 0; c < classFolders.Length; c++)
        {
            perClass[c] = new List<(string, byte[])>(files[c].Length);
            foreach (var file in files[c])
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    perClass[c].Add((file, ImagePreprocessor.Load(file, preprocessing)));
                }
                catch (MnistCnnException ex)
                {
                    problems.Add(new ImageFileProblem(file, ex));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    problems.Add(new ImageFileProblem(file, new MnistCnnException(DataErrorIds.DataFileUnreadable, ErrorKind.ResourceUnavailable,
                        $"Could not read '{file}': {ex.Message}. Check its permissions, or remove it from the folder.", file, ex)));
                }
                if (++done % 256 == 0 || done == total)
                {
                    reporter.Progress(new ProgressInfo("Reading images", string.Create(CultureInfo.InvariantCulture, $"{done}/{total} in {root}"), total == 0 ? 100 : done * 100 / total));
                }
            }
        }
        var empty = classFolders.Where((_, c) => perClass[c].Count == 0).ToArray();
        if (empty.Length > 0)
        {
            throw new MnistCnnException(DataErrorIds.ImageClassEmpty, ErrorKind.InvalidData,
                $"{(empty.Length == 1 ? "The class folder" : "The class folders")} {string.Join(", ", empty.Select(e => $"'{e}'"))} {(empty.Length == 1 ? "holds" : "hold")} no readable " +
                $"image ({string.Join(", ", ImagePreprocessor.SupportedExtensions)}). Add images to {(empty.Length == 1 ? "it" : "them")}, or remove {(empty.Length == 1 ? "it" : "them")} if {(empty.Length == 1 ? "it is" : "they are")} not a class.",
                empty[0]);
        }

        var random = new Random(seed);
        var train = new List<(string File, byte[] Pixels, int Label)>();
        var test = new List<(string File, byte[] Pixels, int Label)>();
        for (int c = 0; c < perClass.Length; c++)
        {
            var items = perClass[c].ToArray();
            random.Shuffle(items);
            // Round half up, but keep a class with two or more images in both splits.
            int testCount = (int)Math.Floor((items.Length * testFraction) + 0.5);
            if (items.Length >= 2) testCount = Math.Clamp(testCount, 1, items.Length - 1);
            test.AddRange(items.Take(testCount).Select(i => (i.File, i.Pixels, c)));
            train.AddRange(items.Skip(testCount).Select(i => (i.File, i.Pixels, c)));
        }
        // Classes interleaved, so the first examples of a split (Import-MnistData -TrainCount) hold every class.
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(train));
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(test));
        if (train.Count == 0 || test.Count == 0)
        {
            throw new MnistCnnException(DataErrorIds.TestFractionInvalid, ErrorKind.InvalidData, string.Create(CultureInfo.InvariantCulture,
                $"'{root}' has {train.Count + test.Count} usable images; a test fraction of {testFraction} leaves the {(train.Count == 0 ? "training" : "test")} split empty. Add images or change the test fraction."), root);
        }
        reporter.Verbose(string.Create(CultureInfo.InvariantCulture,
            $"Read {train.Count + test.Count} images of {classNames.Length} classes from '{root}': {train.Count} for training, {test.Count} for testing (seed {seed})."));

        var dataset = new MnistDataset(DatasetKind.ImageFolder, Split("train", train, preprocessing, size), Split("test", test, preprocessing, size), root,
            new Dictionary<string, string> { ["images"] = Fingerprint(root, perClass) }, checksumsVerified: false,
            name: Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar)), classNames: classNames);
        return new ImageFolderImport(dataset, train.Select(t => t.File).ToArray(), test.Select(t => t.File).ToArray(), problems);
    }

    private static DataSplit Split(string name, List<(string File, byte[] Pixels, int Label)> items, Preprocessing p, int size)
    {
        var pixels = new byte[items.Count * size];
        for (int i = 0; i < items.Count; i++) items[i].Pixels.CopyTo(pixels, i * size);
        return new DataSplit(name, pixels, items.Select(i => (byte)i.Label).ToArray(), p.Height, p.Width);
    }

    /// <summary>SHA-256 over every used file's relative path and its prepared pixels: the same folder gives the same value.</summary>
    private static string Fingerprint(string root, List<(string File, byte[] Pixels)>[] perClass)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (file, pixels) in perClass.SelectMany(c => c))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/') + "\n"));
            sha.AppendData(pixels);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
