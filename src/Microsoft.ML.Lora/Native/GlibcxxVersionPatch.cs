// One source for both halves of the TorchSharp load fix on older libstdc++ (Debian 12, Ubuntu 22.04):
//  - the library compiles it (TorchNativeLibrary: a weakened copy in a cache folder, loaded at run time), and
//  - build/TorchSharp.GlibcxxCompat.targets compiles it with RoslynCodeTaskFactory (Type="Class") to patch the copy a build
//    deploys. That compilation references only netstandard and MSBuild, so this file uses nothing newer and nothing else
//    of the library; the MSBuild task at the end is left out of the library by MICROSOFT_ML_LORA (see the csproj).
#nullable enable
using System;
using System.Collections.Generic;
using System.Text;

namespace Microsoft.ML.Lora.Native;

/// <summary>
/// TorchSharp 0.107's libLibTorchSharp.so (built with GCC 15) needs GLIBCXX_3.4.32 only for
/// <c>std::ios_base_library_init()</c>, an anchor symbol that GCC 13+ &lt;iostream&gt; references but never calls (no
/// relocation uses it). Setting VER_FLG_WEAK on that one version requirement (one byte) makes glibc accept a libstdc++
/// without it. Refused whenever the version has any other user, so a library that really needs newer symbols is never
/// patched into a crash.
/// </summary>
internal static class GlibcxxVersionPatch
{
    /// <summary>The version TorchSharp 0.107 needs from libstdc++ (GCC 13.2); GCC 12's libstdc++ has up to GLIBCXX_3.4.30.</summary>
    public const string Version = "GLIBCXX_3.4.32";

    private const string Library = "libstdc++.so.6";
    private const string AnchorSymbol = "_ZSt21ios_base_library_initv";
    private const ushort VerFlagWeak = 0x2;

    /// <summary>What <see cref="Apply"/> did.</summary>
    public enum Outcome
    {
        /// <summary>The requirement is now weak (a changed copy was returned).</summary>
        Patched,
        /// <summary>The file does not require the version from libstdc++, or already weakly: nothing to change.</summary>
        NotNeeded,
        /// <summary>Not patched: not an ELF64 file, or the version has users other than the anchor (see the reason).</summary>
        Refused,
    }

    /// <summary>
    /// Returns a copy of <paramref name="elf"/> whose requirement of <paramref name="version"/> from libstdc++ is weak, when
    /// the only symbol bound to it is the never-called anchor and no relocation refers to it; otherwise says why not.
    /// <paramref name="elf"/> itself is never modified.
    /// </summary>
    public static Outcome Apply(byte[] elf, string version, out byte[]? patched, out string reason)
    {
        patched = null;
        ElfImage image;
        try { image = new ElfImage(elf); }
        catch (FormatException e) { reason = e.Message; return Outcome.Refused; }

        try
        {
            long flagsAt = -1;
            int versionIndex = -1;
            foreach (var need in image.VersionNeeds())
            {
                if (need.File == Library && need.Name == version)
                {
                    flagsAt = need.FlagsOffset;
                    versionIndex = need.Index;
                }
            }
            if (flagsAt < 0) { reason = "it does not require " + version + " from " + Library; return Outcome.NotNeeded; }
            if ((image.U16(flagsAt) & VerFlagWeak) != 0) { reason = version + " is already a weak requirement"; return Outcome.NotNeeded; }

            var users = new HashSet<long>();
            foreach (var symbol in image.DynamicSymbolsOfVersion(versionIndex))
            {
                if (symbol.Name != AnchorSymbol) { reason = version + " is also needed for " + symbol.Name + ", which libstdc++ must really provide"; return Outcome.Refused; }
                users.Add(symbol.Index);
            }
            foreach (long symbolIndex in image.RelocatedDynamicSymbols())
            {
                if (users.Contains(symbolIndex)) { reason = "a relocation uses " + AnchorSymbol; return Outcome.Refused; }
            }

            patched = (byte[])elf.Clone();
            patched[flagsAt] |= (byte)VerFlagWeak;   // low byte of vna_flags (little-endian)
            reason = version + " from " + Library + " marked weak (byte 0x" + flagsAt.ToString("x") + ")";
            return Outcome.Patched;
        }
        catch (FormatException e) { reason = e.Message; return Outcome.Refused; }
    }
}

/// <summary>
/// Just enough of a little-endian ELF64 shared library to read its version requirements, dynamic symbols, relocations and
/// DT_NEEDED entries. Every read is bounds-checked: a truncated or foreign file is a <see cref="FormatException"/>.
/// </summary>
internal sealed class ElfImage
{
    private const uint ShtRela = 4, ShtDynamic = 6, ShtRel = 9, ShtDynsym = 11, ShtVerneed = 0x6ffffffe, ShtVersym = 0x6fffffff;
    private readonly byte[] bytes;
    private readonly long sectionHeaders;
    private readonly int sectionHeaderSize, sectionCount;

    public ElfImage(byte[] bytes)
    {
        this.bytes = bytes;
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            throw new FormatException("not an ELF file");
        if (bytes[4] != 2 || bytes[5] != 1) throw new FormatException("not a little-endian 64-bit ELF file");
        sectionHeaders = (long)U64(0x28);
        sectionHeaderSize = U16(0x3A);
        sectionCount = U16(0x3C);
        if (sectionHeaderSize < 64 || sectionHeaders + (long)sectionHeaderSize * sectionCount > bytes.Length)
            throw new FormatException("the section header table lies outside the file");
    }

    /// <summary>One version requirement (Elf64_Vernaux) with the file it is required from.</summary>
    public struct VersionNeed
    {
        public string File;
        public string Name;
        public int Index;
        public long FlagsOffset;
    }

    /// <summary>A dynamic symbol's index in .dynsym and its name.</summary>
    public struct Symbol
    {
        public long Index;
        public string Name;
    }

    /// <summary>The libraries the file names in DT_NEEDED entries, in order.</summary>
    public List<string> NeededLibraries()
    {
        var result = new List<string>();
        int dynamicSection = Find(ShtDynamic);
        if (dynamicSection < 0) return result;
        int strings = (int)Link(dynamicSection);
        for (long e = Offset(dynamicSection), end = e + Size(dynamicSection); e + 16 <= end; e += 16)
        {
            long tag = (long)U64(e);
            if (tag == 0) break;             // DT_NULL
            if (tag == 1) result.Add(String(strings, (long)U64(e + 8)));   // DT_NEEDED
        }
        return result;
    }

    /// <summary>Every entry of the version-needs section (SHT_GNU_verneed).</summary>
    public List<VersionNeed> VersionNeeds()
    {
        var result = new List<VersionNeed>();
        int section = Find(ShtVerneed);
        if (section < 0) return result;
        int strings = (int)Link(section);
        long need = Offset(section);
        for (long n = Info(section); n > 0; n--)
        {
            string file = String(strings, U32(need + 4));
            long aux = need + U32(need + 8);
            for (int k = U16(need + 2); k > 0; k--)
            {
                result.Add(new VersionNeed { File = file, Name = String(strings, U32(aux + 8)), Index = U16(aux + 6), FlagsOffset = aux + 4 });
                aux += U32(aux + 12);
            }
            long next = U32(need + 12);
            if (next == 0) break;
            need += next;
        }
        return result;
    }

    /// <summary>The dynamic symbols whose version index (SHT_GNU_versym, hidden bit cleared) is <paramref name="versionIndex"/>.</summary>
    public List<Symbol> DynamicSymbolsOfVersion(int versionIndex)
    {
        var result = new List<Symbol>();
        int symbols = Find(ShtDynsym), versions = Find(ShtVersym);
        if (symbols < 0 || versions < 0) return result;
        int strings = (int)Link(symbols);
        long count = Size(symbols) / 24, table = Offset(symbols), versionTable = Offset(versions);
        for (long i = 0; i < count; i++)
        {
            if ((U16(versionTable + 2 * i) & 0x7fff) == versionIndex)
                result.Add(new Symbol { Index = i, Name = String(strings, U32(table + 24 * i)) });
        }
        return result;
    }

    /// <summary>The .dynsym indices that any relocation section against .dynsym refers to.</summary>
    public HashSet<long> RelocatedDynamicSymbols()
    {
        var result = new HashSet<long>();
        int symbols = Find(ShtDynsym);
        for (int s = 0; s < sectionCount; s++)
        {
            uint type = Type(s);
            if ((type != ShtRela && type != ShtRel) || Link(s) != symbols) continue;
            int entry = type == ShtRela ? 24 : 16;
            for (long r = Offset(s), end = r + Size(s); r + entry <= end; r += entry)
                result.Add((long)(U64(r + 8) >> 32));   // ELF64_R_SYM(r_info)
        }
        return result;
    }

    public int U16(long at) { Check(at, 2); return BitConverter.ToUInt16(bytes, (int)at); }

    private long U32(long at) { Check(at, 4); return BitConverter.ToUInt32(bytes, (int)at); }

    private ulong U64(long at) { Check(at, 8); return BitConverter.ToUInt64(bytes, (int)at); }

    private void Check(long at, int size)
    {
        if (at < 0 || at + size > bytes.Length) throw new FormatException("a table entry at 0x" + at.ToString("x") + " lies outside the file");
    }

    private long Header(int section) => sectionHeaders + (long)section * sectionHeaderSize;
    private uint Type(int section) => (uint)U32(Header(section) + 4);
    private long Offset(int section) => (long)U64(Header(section) + 0x18);
    private long Size(int section) => (long)U64(Header(section) + 0x20);
    private long Link(int section) => U32(Header(section) + 0x28);
    private long Info(int section) => U32(Header(section) + 0x2C);

    private int Find(uint type)
    {
        for (int s = 0; s < sectionCount; s++)
            if (Type(s) == type) return s;
        return -1;
    }

    private string String(int section, long offset)
    {
        if (section <= 0 || section >= sectionCount) throw new FormatException("a string table index is out of range");
        long start = Offset(section) + offset, end = start;
        while (true)
        {
            Check(end, 1);
            if (bytes[end] == 0) break;
            end++;
        }
        return Encoding.ASCII.GetString(bytes, (int)start, (int)(end - start));
    }
}

#if !MICROSOFT_ML_LORA
/// <summary>The build-time half (build/TorchSharp.GlibcxxCompat.targets): writes the weakened copy of Source to Destination.</summary>
public sealed class TorchSharpWeakenGlibcxxVersion : Microsoft.Build.Utilities.Task
{
    /// <summary>libLibTorchSharp.so as the NuGet package has it (never modified).</summary>
    [Microsoft.Build.Framework.Required] public string Source { get; set; } = "";

    /// <summary>Where the copy the build deploys goes.</summary>
    [Microsoft.Build.Framework.Required] public string Destination { get; set; } = "";

    /// <inheritdoc />
    public override bool Execute()
    {
        byte[] original = System.IO.File.ReadAllBytes(Source);
        var outcome = GlibcxxVersionPatch.Apply(original, GlibcxxVersionPatch.Version, out byte[]? patched, out string reason);
        if (outcome == GlibcxxVersionPatch.Outcome.Refused)
        {
            Log.LogWarning("TorchSharpGlibcxxCompat: not patching " + Source + ": " + reason + ".");
            return true;   // the unmodified package file stays in the build; the library reports the load failure at run time
        }
        string destination = System.IO.Path.GetFullPath(Destination);
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(destination)!);
        string tmp = destination + ".tmp";
        System.IO.File.WriteAllBytes(tmp, patched ?? original);   // NotNeeded (a TorchSharp that no longer needs it): unchanged copy
        if (System.IO.File.Exists(destination)) System.IO.File.Delete(destination);
        System.IO.File.Move(tmp, destination);
        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High, "TorchSharpGlibcxxCompat: " + destination + ": " + reason + ".");
        return true;
    }
}
#endif
