using Microsoft.ML.Lora.Native;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Native;

/// <summary>
/// The pieces of the TorchSharp load fix, in process: the ELF patch on TorchSharp's real native library and the messages a
/// failed load gets. Consumers/OutsideProjectTests runs the whole fix in an outside project.
/// </summary>
public class TorchNativeLibraryTests
{
    [Fact]
    public void ThePatchMarksOneRequirementWeakInTorchSharpsLibraryAndChangesOneByte()
    {
        byte[] original = File.ReadAllBytes(TorchSharpPackageFiles.NativeLibrary());
        byte[] copy = (byte[])original.Clone();

        var outcome = GlibcxxVersionPatch.Apply(original, GlibcxxVersionPatch.Version, out byte[]? patched, out string reason);

        Assert.Equal(GlibcxxVersionPatch.Outcome.Patched, outcome);
        Assert.Equal(copy, original);   // the input is never modified
        Assert.Equal(original.Length, patched!.Length);
        int changed = Assert.Single(Enumerable.Range(0, original.Length), i => original[i] != patched[i]);
        Assert.Equal(original[changed] | 0x2, patched[changed]);   // VER_FLG_WEAK
        Assert.Contains("marked weak", reason);

        // Patched once is enough; another version, which the file does not require, is left alone.
        Assert.Equal(GlibcxxVersionPatch.Outcome.NotNeeded, GlibcxxVersionPatch.Apply(patched, GlibcxxVersionPatch.Version, out _, out string again));
        Assert.Contains("already a weak requirement", again);
        Assert.Equal(GlibcxxVersionPatch.Outcome.NotNeeded, GlibcxxVersionPatch.Apply(original, "GLIBCXX_9.9.99", out _, out _));
    }

    [Fact]
    public void AVersionThatRealSymbolsNeedIsRefused()
    {
        // GLIBCXX_3.4 is the base version every libstdc++ symbol binds to (std::cout, operator new, ...): weakening it would
        // turn a missing libstdc++ feature into a crash, so the patch refuses and names a symbol.
        byte[] original = File.ReadAllBytes(TorchSharpPackageFiles.NativeLibrary());
        var outcome = GlibcxxVersionPatch.Apply(original, "GLIBCXX_3.4", out byte[]? patched, out string reason);
        Assert.Equal(GlibcxxVersionPatch.Outcome.Refused, outcome);
        Assert.Null(patched);
        Assert.Contains("is also needed for _Z", reason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(100_000)]
    public void ATruncatedOrForeignFileIsRefusedNotThrown(int length)
    {
        byte[] original = File.ReadAllBytes(TorchSharpPackageFiles.NativeLibrary());
        var outcome = GlibcxxVersionPatch.Apply(original[..length], GlibcxxVersionPatch.Version, out byte[]? patched, out string reason);
        Assert.Equal(GlibcxxVersionPatch.Outcome.Refused, outcome);
        Assert.Null(patched);
        Assert.Contains(length < 64 ? "not an ELF file" : "lies outside the file", reason);
    }

    [Fact]
    public void AFileThatIsNotElfIsRefused()
    {
        byte[] text = "#!/bin/sh\necho this is a shell script, not a shared library, padded to more than 64 bytes\n"u8.ToArray();
        Assert.Equal(GlibcxxVersionPatch.Outcome.Refused, GlibcxxVersionPatch.Apply(text, GlibcxxVersionPatch.Version, out _, out string reason));
        Assert.Equal("not an ELF file", reason);
    }

    [Fact]
    public void TheLibrarysDependenciesAreReadFromItsDynamicSection()
    {
        var needed = new ElfImage(File.ReadAllBytes(TorchSharpPackageFiles.NativeLibrary())).NeededLibraries();
        Assert.Equal(["libtorch.so", "libc10.so", "libtorch_cpu.so"], needed.Take(3));
        Assert.Contains("libstdc++.so.6", needed);
    }

    [Fact]
    public void TheLibraryLoadedTorchSharpsNativeLibraryInThisProcess()
    {
        TorchNativeLibrary.EnsureLoaded();
        if (!OperatingSystem.IsLinux()) return;
        Assert.NotNull(TorchNativeLibrary.LoadedFrom);
        Assert.EndsWith("libLibTorchSharp.so", TorchNativeLibrary.LoadedFrom);
        // In the repository the build already deployed a patched copy (build/TorchSharp.GlibcxxCompat.targets): no cache copy.
        Assert.False(TorchNativeLibrary.UsesCompatibleCopy);
    }

    [Fact]
    public void AMissingSymbolVersionIsExplainedWithTheLibstdcxxAndTheFix()
    {
        const string Loader = "/lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by /app/runtimes/linux-x64/native/libLibTorchSharp.so)";
        string dotnetMessage = "Unable to load shared library '/app/runtimes/linux-x64/native/libLibTorchSharp.so' or one of its dependencies. In order to help "
            + "diagnose loading problems, consider using a tool like strace. If you're using glibc, consider setting the LD_DEBUG environment variable: \n" + Loader + "\n";
        Assert.Equal(Loader, NativeLoadDiagnosis.LoaderMessage(dotnetMessage));
        var missing = NativeLoadDiagnosis.MissingVersion(Loader)!;
        Assert.Equal(("/lib/x86_64-linux-gnu/libstdc++.so.6", "GLIBCXX_3.4.32", "/app/runtimes/linux-x64/native/libLibTorchSharp.so"),
            (missing.Provider, missing.Version, missing.RequiredBy));

        string message = NativeLoadDiagnosis.Describe("/app/runtimes/linux-x64/native/libLibTorchSharp.so", Loader, "the cache folder is read-only", "0.107.0");
        Assert.StartsWith("TorchSharp's native library /app/runtimes/linux-x64/native/libLibTorchSharp.so cannot be loaded: /lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found", message);
        Assert.Contains("lacks GLIBCXX_3.4.32 (libstdc++ of GCC 13.2; Debian 12 and Ubuntu 22.04 have GCC 12's)", message);
        Assert.Contains("compatibility fix did not apply: the cache folder is read-only", message);
        Assert.Contains("Fix: run on a system with a newer libstdc++", message);
    }

    [Fact]
    public void AMissingLibtorchIsExplainedWithThePackageToReference()
    {
        string message = NativeLoadDiagnosis.Describe("/app/libLibTorchSharp.so", "libtorch_cpu.so: cannot open shared object file: No such file or directory", null, "0.107.0");
        Assert.Contains("libtorch_cpu.so comes with libtorch, which the application does not reference", message);
        Assert.Contains("<PackageReference Include=\"TorchSharp-cpu\" Version=\"0.107.0\" />", message);
        Assert.Contains("TorchSharp-cuda-linux", message);

        string other = NativeLoadDiagnosis.Describe("/app/libLibTorchSharp.so", "libfoo.so.1: cannot open shared object file: No such file or directory", null, "0.107.0");
        Assert.Contains("install the package that provides libfoo.so.1", other);
        Assert.Null(NativeLoadDiagnosis.MissingVersion("libfoo.so.1: cannot open shared object file"));
    }

    [Fact]
    public void TorchSharpsOwnFailureIsReplacedByOneNamingThePackages()
    {
        var torchSharp = new TypeInitializationException("TorchSharp.torch", new NotSupportedException(
            "This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64, Version=2.10.0.0.\n\nConsider referencing ..."));
        string message = NativeLoadDiagnosis.TorchSharpFailed(torchSharp, ["/app"], "0.107.0");
        Assert.StartsWith("TorchSharp's native library could not be loaded: This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64", message);
        Assert.DoesNotContain("Consider referencing", message);
        Assert.Contains("<PackageReference Include=\"TorchSharp-cpu\" Version=\"0.107.0\" />", message);
    }
}
