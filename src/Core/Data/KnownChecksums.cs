namespace MnistCnn.Core.Data;

/// <summary>
/// SHA-256 of the official files of each dataset: of the uncompressed IDX bytes (what every copy shares) and of
/// the known <c>.gz</c> encodings (the official MNIST archives; Debian's re-compressed Fashion-MNIST archives).
/// Downloaded and cached files must match one of them; files a user points at are only compared, not required to.
/// </summary>
public static class KnownChecksums
{
    public const string TrainImages = "train-images-idx3-ubyte";
    public const string TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte";
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>The four IDX file names (without <c>.gz</c>), shared by MNIST and Fashion-MNIST.</summary>
    public static IReadOnlyList<string> FileNames { get; } = new[] { TrainImages, TrainLabels, TestImages, TestLabels };

    private static readonly Dictionary<(DatasetKind, string), (string Content, string[] Gzip)> Table = new()
    {
        [(DatasetKind.Mnist, TrainImages)] = ("ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", ["440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"]),
        [(DatasetKind.Mnist, TrainLabels)] = ("65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", ["3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"]),
        [(DatasetKind.Mnist, TestImages)] = ("0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", ["8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"]),
        [(DatasetKind.Mnist, TestLabels)] = ("ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", ["f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"]),
        // Fashion-MNIST: the .gz hashes are those of Debian's dataset-fashion-mnist package, which re-compressed the
        // files; Zalando's own archives differ as .gz but decompress to the same bytes, so they pass on content.
        [(DatasetKind.FashionMnist, TrainImages)] = ("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", ["b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"]),
        [(DatasetKind.FashionMnist, TrainLabels)] = ("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", ["0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"]),
        [(DatasetKind.FashionMnist, TestImages)] = ("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", ["cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"]),
        [(DatasetKind.FashionMnist, TestLabels)] = ("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", ["8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"]),
    };

    /// <summary>SHA-256 of the uncompressed official file <paramref name="fileName"/> (with or without <c>.gz</c>).</summary>
    public static string Content(DatasetKind kind, string fileName) => Table[(kind, BaseName(fileName))].Content;

    /// <summary>SHA-256s of known gzip encodings of the official file.</summary>
    public static IReadOnlyList<string> Gzip(DatasetKind kind, string fileName) => Table[(kind, BaseName(fileName))].Gzip;

    /// <summary>True when <paramref name="file"/> is the official <paramref name="kind"/> file of its name, as stored or uncompressed.</summary>
    public static bool Matches(DatasetKind kind, IdxFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!Table.TryGetValue((kind, BaseName(file.FileName)), out var known)) return false;
        return known.Gzip.Contains(file.Sha256, StringComparer.OrdinalIgnoreCase)
            || string.Equals(file.ContentSha256, known.Content, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The file name without a trailing <c>.gz</c>.</summary>
    public static string BaseName(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        return fileName.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? fileName[..^3] : fileName;
    }
}
