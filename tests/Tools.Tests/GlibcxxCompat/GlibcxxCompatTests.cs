using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using MnistCnn.BuildTools;

namespace MnistCnn.Tools.Tests.Glibcxx;

/// <summary>
/// GlibcxxCompat against real files: TorchSharp's libLibTorchSharp.so from the NuGet cache (always copied to a
/// temporary folder first; the cache copy must never change) and the host's libstdc++. "Hosts" with other version
/// sets are copies of the real libstdc++ with one version name renamed in place (same length, so the ELF layout
/// stays valid for reading; such a copy is only ever read, never loaded).
/// </summary>
public sealed class GlibcxxCompatTests : IDisposable
{
    private const string Marker = "GLIBCXX_3.4.32";
    private readonly string temp = Directory.CreateTempSubdirectory("glibcxx-tests-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    /// <summary>The package's own libLibTorchSharp.so, unpatched, in the NuGet cache.</summary>
    private static string? NuGetLibTorchSharp()
    {
        var version = TorchSharpVersion();
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = Path.Combine(packages, "torchsharp", version,
            "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(path) ? path : null;
    }

    /// <summary>The TorchSharp version the repository builds with, from Directory.Packages.props.</summary>
    private static string TorchSharpVersion()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props")))
        {
            dir = dir.Parent;
        }
        Assert.True(dir is not null, $"No Directory.Packages.props above {AppContext.BaseDirectory}.");
        var props = XDocument.Load(Path.Combine(dir!.FullName, "Directory.Packages.props"));
        var entry = props.Descendants("PackageVersion").Single(e => (string?)e.Attribute("Include") == "TorchSharp");
        return (string)entry.Attribute("Version")!;
    }

    private static (string Original, string Host) RequireFiles()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "ELF shared libraries exist on Linux only.");
        var original = NuGetLibTorchSharp();
        Skip.If(original is null, "TorchSharp's libLibTorchSharp.so is not in the NuGet cache (restore first).");
        var host = GlibcxxCompat.FindSystemLibstdcxx();
        Skip.If(host is null, "No system libstdc++.so.6 found.");
        return (original!, host!);
    }

    private string CopyToTemp(string path, string? name = null)
    {
        var copy = Path.Combine(temp, name ?? Path.GetFileName(path));
        File.Copy(path, copy, overwrite: true);
        return copy;
    }

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>A copy of the host libstdc++ whose version <paramref name="from"/> is renamed <paramref name="to"/>.</summary>
    private string FakeHost(string host, string from, string to)
    {
        Assert.Equal(from.Length, to.Length);
        var bytes = File.ReadAllBytes(host);
        var needle = Encoding.ASCII.GetBytes($"\0{from}\0");
        int at = bytes.AsSpan().IndexOf(needle);
        Assert.True(at >= 0, $"{host} has no string {from}");
        Assert.True(bytes.AsSpan(at + 1).IndexOf(needle) < 0, $"{host} has {from} more than once");
        Encoding.ASCII.GetBytes(to).CopyTo(bytes, at + 1);
        var path = Path.Combine(temp, $"libstdc++-{to}.so.6");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [SkippableFact]
    public void ReadsTheVersionNeedsReadelfShows()
    {
        var (original, _) = RequireFiles();
        var needs = GlibcxxCompat.ReadVersionNeeds(File.ReadAllBytes(original));
        var libstdcxx = needs.Where(n => n.File == "libstdc++.so.6").Select(n => n.Version).ToList();
        // readelf -V: libstdc++.so.6 Cnt: 20, among them GLIBCXX_3.4.32, GLIBCXX_3.4.30, CXXABI_1.3.13.
        Assert.Equal(20, libstdcxx.Count);
        Assert.Contains(Marker, libstdcxx);
        Assert.Contains("GLIBCXX_3.4.30", libstdcxx);
        Assert.Contains("CXXABI_1.3.13", libstdcxx);
        Assert.Contains(needs, n => n.File == "libc.so.6" && n.Version == "GLIBC_2.34");
        Assert.All(needs, n => Assert.False(n.IsWeak, $"{n.Version} is weak in the package's original"));
        Assert.Equal(needs.Count, needs.Select(n => n.Index).Distinct().Count());
    }

    [SkippableFact]
    public void OnlyTheIostreamMarkerUsesGlibcxx3432()
    {
        var (original, _) = RequireFiles();
        var bytes = File.ReadAllBytes(original);
        var need = GlibcxxCompat.ReadVersionNeeds(bytes).Single(n => n.Version == Marker);
        Assert.Equal(GlibcxxCompat.NeverCalledSymbols, GlibcxxCompat.SymbolsBoundTo(bytes, need.Index));
        var real = GlibcxxCompat.ReadVersionNeeds(bytes).Single(n => n.Version == "GLIBCXX_3.4.21");
        Assert.NotEmpty(GlibcxxCompat.SymbolsBoundTo(bytes, real.Index));
    }

    [SkippableFact]
    public void ReadsTheVersionsTheHostLibstdcxxDefines()
    {
        var (_, host) = RequireFiles();
        var defined = GlibcxxCompat.ReadDefinedVersions(File.ReadAllBytes(host));
        Assert.Contains("GLIBCXX_3.4", defined);
        Assert.Contains("GLIBCXX_3.4.21", defined);
        Assert.Contains("CXXABI_1.3", defined);
        Assert.DoesNotContain("GLIBC_2.34", defined); // defined by libc, merely needed by libstdc++
    }

    [SkippableFact]
    public void PatchesACopyOnceWhenTheHostLacksTheVersionAndLeavesTheCacheAlone()
    {
        var (original, host) = RequireFiles();
        Skip.If(GlibcxxCompat.ReadDefinedVersions(File.ReadAllBytes(host)).Contains(Marker),
            $"{host} defines {Marker}: this host needs no patch (see HostWithTheVersionNeedsNoPatch).");
        string before = Sha256(original);
        var copy = CopyToTemp(original);
        var originalBytes = File.ReadAllBytes(copy);

        var first = GlibcxxCompat.Apply(copy, host);
        Assert.Equal(GlibcxxPatchOutcome.Patched, first.Outcome);
        Assert.Equal(new[] { Marker }, first.Versions);

        var patched = File.ReadAllBytes(copy);
        Assert.Equal(originalBytes.Length, patched.Length);
        var changed = Enumerable.Range(0, patched.Length).Where(i => patched[i] != originalBytes[i]).ToList();
        var need = GlibcxxCompat.ReadVersionNeeds(originalBytes).Single(n => n.Version == Marker);
        Assert.Equal(new[] { (int)need.FlagsOffset }, changed); // only the vna_flags low byte of that one entry
        var needs = GlibcxxCompat.ReadVersionNeeds(patched);
        Assert.True(needs.Single(n => n.Version == Marker).IsWeak);
        Assert.All(needs.Where(n => n.Version != Marker), n => Assert.False(n.IsWeak));

        var second = GlibcxxCompat.Apply(copy, host);
        Assert.Equal(GlibcxxPatchOutcome.AlreadyPatched, second.Outcome);
        Assert.Equal(patched, File.ReadAllBytes(copy));

        Assert.Equal(before, Sha256(original));
        Assert.All(GlibcxxCompat.ReadVersionNeeds(File.ReadAllBytes(original)), n => Assert.False(n.IsWeak));
    }

    [SkippableFact]
    public void DryRunReportsWithoutWriting()
    {
        var (original, host) = RequireFiles();
        Skip.If(GlibcxxCompat.ReadDefinedVersions(File.ReadAllBytes(host)).Contains(Marker), $"{host} defines {Marker}.");
        var copy = CopyToTemp(original);
        Assert.Equal(GlibcxxPatchOutcome.Patched, GlibcxxCompat.Apply(copy, host, dryRun: true).Outcome);
        Assert.Equal(Sha256(original), Sha256(copy));
    }

    [SkippableFact]
    public void HostWithTheVersionNeedsNoPatch()
    {
        var (original, host) = RequireFiles();
        var copy = CopyToTemp(original);
        var defined = GlibcxxCompat.ReadDefinedVersions(File.ReadAllBytes(host));
        var needed = GlibcxxCompat.ReadVersionNeeds(File.ReadAllBytes(copy)).Select(n => n.Version).ToHashSet();
        string newerHost = host;
        if (!defined.Contains(Marker))
        {
            // Rename a version the library does not need (same length as the marker) to the marker's name.
            var spare = defined.Where(v => v.Length == Marker.Length && v.StartsWith("GLIBCXX_3.4.", StringComparison.Ordinal) && !needed.Contains(v))
                .OrderBy(v => v, StringComparer.Ordinal).First();
            newerHost = FakeHost(host, spare, Marker);
            Assert.Contains(Marker, GlibcxxCompat.ReadDefinedVersions(File.ReadAllBytes(newerHost)));
        }
        var result = GlibcxxCompat.Apply(copy, newerHost);
        Assert.Equal(GlibcxxPatchOutcome.NotNeeded, result.Outcome);
        Assert.Empty(result.Versions);
        Assert.Equal(Sha256(original), Sha256(copy));
    }

    [SkippableFact]
    public void RefusesWhenARealSymbolNeedsAMissingVersion()
    {
        var (original, host) = RequireFiles();
        var copy = CopyToTemp(original);
        // An older host: GLIBCXX_3.4.30, which real symbols of the library need, renamed away.
        var olderHost = FakeHost(host, "GLIBCXX_3.4.30", "GLIBCXX_9.9.99");
        var result = GlibcxxCompat.Apply(copy, olderHost);
        Assert.Equal(GlibcxxPatchOutcome.Unpatchable, result.Outcome);
        Assert.Contains("GLIBCXX_3.4.30", result.Message, StringComparison.Ordinal);
        Assert.Equal(Sha256(original), Sha256(copy));
    }

    [Fact]
    public void RejectsFilesThatAreNotElf64LittleEndian()
    {
        Assert.Throws<InvalidDataException>(() => GlibcxxCompat.ReadVersionNeeds(new byte[128]));
        var elf32 = new byte[128];
        elf32[0] = 0x7f; elf32[1] = (byte)'E'; elf32[2] = (byte)'L'; elf32[3] = (byte)'F'; elf32[4] = 1; elf32[5] = 1;
        Assert.Throws<InvalidDataException>(() => GlibcxxCompat.ReadDefinedVersions(elf32));
    }

    [Fact]
    public void RejectsSectionHeadersPointingOutsideTheFile()
    {
        var bytes = new byte[64];
        bytes[0] = 0x7f; bytes[1] = (byte)'E'; bytes[2] = (byte)'L'; bytes[3] = (byte)'F'; bytes[4] = 2; bytes[5] = 1;
        BitConverter.GetBytes(10_000L).CopyTo(bytes, 0x28); // e_shoff far past the end
        BitConverter.GetBytes((ushort)64).CopyTo(bytes, 0x3a);
        BitConverter.GetBytes((ushort)3).CopyTo(bytes, 0x3c);
        Assert.Throws<InvalidDataException>(() => GlibcxxCompat.ReadVersionNeeds(bytes));
    }
}
