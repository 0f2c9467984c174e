// The ELF patch the build applies to its own output copies of libLibTorchSharp.so (tools/GlibcxxCompat, run by
// Directory.Build.targets after build and publish through Program.cs). Runtime Core does not contain it. The public
// entry point is GlibcxxCompat.PatchOutputCopy (or Apply with an explicit host libstdc++), so a later caller (for
// example the module patching its own copy at install time) can reference this assembly and call the same code.
//
// Why this exists: TorchSharp 0.107's libLibTorchSharp.so was linked with GCC 13, whose <iostream> emits a
// reference to std::ios_base_library_init() tagged with the symbol version GLIBCXX_3.4.32. That function is
// only a marker ("this object needs iostreams initialised"); nothing calls it. Debian 12's libstdc++ stops at
// GLIBCXX_3.4.30, so the dynamic loader refuses the whole library over that one version requirement.
// Marking that requirement weak (VER_FLG_WEAK in its .gnu.version_r entry) makes the loader accept a
// libstdc++ without it, while every other version requirement is still enforced. We patch only when the host
// libstdc++ really lacks the version, only requirements whose every symbol is on the never-called list, and
// only the copy in our own build output: never the NuGet cache or system files.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace MnistCnn.BuildTools
{
    /// <summary>Outcome of checking one shared library against the host's libstdc++.</summary>
    public enum GlibcxxPatchOutcome
    {
        /// <summary>The host provides every version the library asks for: nothing to do.</summary>
        NotNeeded,
        /// <summary>Missing versions were only needed by never-called markers and were marked weak.</summary>
        Patched,
        /// <summary>The library was patched earlier; loading already works.</summary>
        AlreadyPatched,
        /// <summary>A missing version is needed by a real symbol: patching would break at run time.</summary>
        Unpatchable,
    }

    /// <summary>The result of <see cref="GlibcxxCompat.Apply"/>, with a human-readable explanation.</summary>
    public sealed class GlibcxxPatchResult
    {
        public GlibcxxPatchResult(GlibcxxPatchOutcome outcome, string message, IReadOnlyList<string> versions)
        {
            Outcome = outcome;
            Message = message;
            Versions = versions;
        }

        public GlibcxxPatchOutcome Outcome { get; }
        public string Message { get; }
        /// <summary>The versions that were (or would have to be) marked weak.</summary>
        public IReadOnlyList<string> Versions { get; }
    }

    /// <summary>Reads and edits the GNU symbol-versioning sections of a little-endian ELF64 shared library.</summary>
    public static class GlibcxxCompat
    {
        private const uint ShtDynsym = 11;
        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const uint ShtGnuVersym = 0x6fffffff;
        private const ushort VerFlgWeak = 0x2;

        /// <summary>Symbols that only mark a dependency and are never called; safe to leave unresolved.</summary>
        public static readonly IReadOnlyCollection<string> NeverCalledSymbols = new[]
        {
            "_ZSt21ios_base_library_initv", // std::ios_base_library_init(), GCC 13's iostream marker
        };

        /// <summary>Well-known places of the system libstdc++ on Linux distributions.</summary>
        public static readonly IReadOnlyList<string> SystemLibstdcxxCandidates = new[]
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6",
            "/lib64/libstdc++.so.6",
            "/usr/lib/libstdc++.so.6",
        };

        /// <summary>Finds the libstdc++ the dynamic loader would use, or null when none is found.</summary>
        public static string? FindSystemLibstdcxx()
        {
            var ldPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            if (!string.IsNullOrEmpty(ldPath))
            {
                foreach (var dir in ldPath!.Split(':'))
                {
                    if (dir.Length == 0) continue;
                    var candidate = Path.Combine(dir, "libstdc++.so.6");
                    if (File.Exists(candidate)) return candidate;
                }
            }
            foreach (var candidate in SystemLibstdcxxCandidates)
            {
                if (File.Exists(candidate)) return candidate;
            }
            return null;
        }

        /// <summary>Version names a library defines (its .gnu.version_d), e.g. GLIBCXX_3.4.30.</summary>
        public static HashSet<string> ReadDefinedVersions(byte[] elf)
        {
            var image = new ElfImage(elf);
            var result = new HashSet<string>(StringComparer.Ordinal);
            var verdef = image.FindSection(ShtGnuVerdef);
            if (verdef is null) return result;
            var strtab = image.Sections[(int)verdef.Value.Link];
            long offset = verdef.Value.Offset;
            while (true)
            {
                ushort cnt = image.U16(offset + 6);
                uint aux = image.U32(offset + 12);
                uint next = image.U32(offset + 16);
                if (cnt > 0)
                {
                    uint nameOffset = image.U32(offset + aux);
                    result.Add(image.String(strtab.Offset + nameOffset));
                }
                if (next == 0) break;
                offset += next;
            }
            return result;
        }

        /// <summary>A requirement from .gnu.version_r: the file, the version, its flags, and where its flags live.</summary>
        public sealed class VersionNeed
        {
            public VersionNeed(string file, string version, ushort flags, ushort index, long flagsOffset)
            {
                File = file;
                Version = version;
                Flags = flags;
                Index = index;
                FlagsOffset = flagsOffset;
            }

            public string File { get; }
            public string Version { get; }
            public ushort Flags { get; }
            public ushort Index { get; }
            public long FlagsOffset { get; }
            public bool IsWeak => (Flags & VerFlgWeak) != 0;
        }

        /// <summary>Every version requirement of a library (readelf -V's "Version needs" section).</summary>
        public static List<VersionNeed> ReadVersionNeeds(byte[] elf)
        {
            var image = new ElfImage(elf);
            var result = new List<VersionNeed>();
            var verneed = image.FindSection(ShtGnuVerneed);
            if (verneed is null) return result;
            var strtab = image.Sections[(int)verneed.Value.Link];
            long offset = verneed.Value.Offset;
            while (true)
            {
                ushort cnt = image.U16(offset + 2);
                string file = image.String(strtab.Offset + image.U32(offset + 4));
                uint aux = image.U32(offset + 8);
                uint next = image.U32(offset + 12);
                long auxOffset = offset + aux;
                for (int i = 0; i < cnt; i++)
                {
                    ushort flags = image.U16(auxOffset + 4);
                    ushort other = image.U16(auxOffset + 6);
                    string name = image.String(strtab.Offset + image.U32(auxOffset + 8));
                    result.Add(new VersionNeed(file, name, flags, other, auxOffset + 4));
                    uint auxNext = image.U32(auxOffset + 12);
                    if (auxNext == 0) break;
                    auxOffset += auxNext;
                }
                if (next == 0) break;
                offset += next;
            }
            return result;
        }

        /// <summary>Names of the dynamic symbols bound to a version index (from .gnu.version and .dynsym).</summary>
        public static List<string> SymbolsBoundTo(byte[] elf, ushort versionIndex)
        {
            var image = new ElfImage(elf);
            var result = new List<string>();
            var dynsym = image.FindSection(ShtDynsym);
            var versym = image.FindSection(ShtGnuVersym);
            if (dynsym is null || versym is null) return result;
            var strtab = image.Sections[(int)dynsym.Value.Link];
            long count = (long)(dynsym.Value.Size / 24);
            for (long i = 0; i < count; i++)
            {
                ushort ver = (ushort)(image.U16(versym.Value.Offset + (2 * i)) & 0x7fff);
                if (ver != versionIndex) continue;
                uint nameOffset = image.U32(dynsym.Value.Offset + (24 * i));
                result.Add(image.String(strtab.Offset + nameOffset));
            }
            return result;
        }

        /// <summary>
        /// The entry point for a build or an installer: checks the output copy at <paramref name="libraryPath"/>
        /// against the system libstdc++ and patches it where needed. Returns null when there is no library at that
        /// path or no system libstdc++ to compare with (nothing is changed then).
        /// </summary>
        public static GlibcxxPatchResult? PatchOutputCopy(string libraryPath)
        {
            if (!File.Exists(libraryPath))
            {
                return null;
            }
            var host = FindSystemLibstdcxx();
            return host is null ? null : Apply(libraryPath, host);
        }

        /// <summary>
        /// Checks <paramref name="libraryPath"/> against the versions <paramref name="hostLibstdcxxPath"/> defines and,
        /// when the only missing ones are needed by never-called marker symbols, marks them weak in place.
        /// </summary>
        public static GlibcxxPatchResult Apply(string libraryPath, string hostLibstdcxxPath, bool dryRun = false)
        {
            var host = ReadDefinedVersions(File.ReadAllBytes(hostLibstdcxxPath));
            var bytes = File.ReadAllBytes(libraryPath);
            var missing = new List<VersionNeed>();
            foreach (var need in ReadVersionNeeds(bytes))
            {
                if (need.File.StartsWith("libstdc++.so", StringComparison.Ordinal) && !host.Contains(need.Version))
                {
                    missing.Add(need);
                }
            }
            var names = missing.ConvertAll(m => m.Version);
            if (missing.Count == 0)
            {
                return new GlibcxxPatchResult(GlibcxxPatchOutcome.NotNeeded,
                    $"{Path.GetFileName(libraryPath)}: {hostLibstdcxxPath} provides every libstdc++ version it needs.", names);
            }
            if (missing.TrueForAll(m => m.IsWeak))
            {
                return new GlibcxxPatchResult(GlibcxxPatchOutcome.AlreadyPatched,
                    $"{Path.GetFileName(libraryPath)}: {string.Join(", ", names)} already marked weak.", names);
            }
            foreach (var need in missing)
            {
                var symbols = SymbolsBoundTo(bytes, need.Index);
                var real = symbols.FindAll(s => !Contains(NeverCalledSymbols, s));
                if (real.Count > 0)
                {
                    return new GlibcxxPatchResult(GlibcxxPatchOutcome.Unpatchable,
                        $"{Path.GetFileName(libraryPath)} needs {need.Version} from libstdc++ for {string.Join(", ", real)}, " +
                        $"which {hostLibstdcxxPath} lacks. Install a newer libstdc++ (GCC 13 or later runtime).", names);
                }
            }
            if (!dryRun)
            {
                foreach (var need in missing)
                {
                    ushort flags = (ushort)(need.Flags | VerFlgWeak);
                    bytes[need.FlagsOffset] = (byte)(flags & 0xff);
                    bytes[need.FlagsOffset + 1] = (byte)(flags >> 8);
                }
                // Write a new file and move it over the old one: the output copy may be a hard link into a
                // package cache, which must never change.
                var temp = libraryPath + ".patching";
                File.WriteAllBytes(temp, bytes);
                File.Copy(temp, libraryPath + ".patched", true);
                File.Delete(temp);
                File.Delete(libraryPath);
                File.Move(libraryPath + ".patched", libraryPath);
            }
            return new GlibcxxPatchResult(GlibcxxPatchOutcome.Patched,
                $"{Path.GetFileName(libraryPath)}: marked {string.Join(", ", names)} weak; only never-called markers use it " +
                $"and {hostLibstdcxxPath} lacks it.", names);
        }

        private static bool Contains(IReadOnlyCollection<string> set, string value)
        {
            foreach (var item in set)
            {
                if (string.Equals(item, value, StringComparison.Ordinal)) return true;
            }
            return false;
        }

        private readonly struct Section
        {
            public Section(uint type, long offset, ulong size, uint link)
            {
                Type = type;
                Offset = offset;
                Size = size;
                Link = link;
            }

            public uint Type { get; }
            public long Offset { get; }
            public ulong Size { get; }
            public uint Link { get; }
        }

        private sealed class ElfImage
        {
            private readonly byte[] bytes;

            public ElfImage(byte[] bytes)
            {
                this.bytes = bytes;
                if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
                {
                    throw new InvalidDataException("Not an ELF file.");
                }
                if (bytes[4] != 2 || bytes[5] != 1)
                {
                    throw new InvalidDataException("Only little-endian ELF64 files are supported.");
                }
                long shoff = (long)U64(0x28);
                ushort shentsize = U16(0x3a);
                ushort shnum = U16(0x3c);
                var sections = new Section[shnum];
                for (int i = 0; i < shnum; i++)
                {
                    long h = shoff + ((long)i * shentsize);
                    sections[i] = new Section(U32(h + 4), (long)U64(h + 0x18), U64(h + 0x20), U32(h + 0x28));
                }
                Sections = sections;
            }

            public Section[] Sections { get; }

            public Section? FindSection(uint type)
            {
                foreach (var s in Sections)
                {
                    if (s.Type == type) return s;
                }
                return null;
            }

            public ushort U16(long o) => Check(o, 2) ? (ushort)(this.bytes[o] | (this.bytes[o + 1] << 8)) : (ushort)0;
            public uint U32(long o) => Check(o, 4) ? (uint)(this.bytes[o] | (this.bytes[o + 1] << 8) | (this.bytes[o + 2] << 16) | (this.bytes[o + 3] << 24)) : 0u;
            public ulong U64(long o) => U32(o) | ((ulong)U32(o + 4) << 32);

            public string String(long o)
            {
                Check(o, 1);
                long end = o;
                while (end < this.bytes.Length && this.bytes[end] != 0) end++;
                return Encoding.ASCII.GetString(this.bytes, (int)o, (int)(end - o));
            }

            private bool Check(long offset, int length)
            {
                if (offset < 0 || offset + length > this.bytes.Length)
                {
                    throw new InvalidDataException($"ELF structure points outside the file (offset {offset}).");
                }
                return true;
            }
        }
    }

}
