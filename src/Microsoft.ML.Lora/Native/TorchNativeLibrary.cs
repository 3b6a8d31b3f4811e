using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.ML.Lora.IO;
using Microsoft.ML.Lora.Native;

namespace Microsoft.ML.Lora;

/// <summary>
/// Loads TorchSharp's native library (libLibTorchSharp.so) before TorchSharp first needs it, so that an application works on
/// Debian 12 and Ubuntu 22.04 whatever references this library (a ProjectReference, a PackageReference, a copied bin folder)
/// and nothing in the application's project is needed. When the system's libstdc++ lacks GLIBCXX_3.4.32, a copy with that
/// one requirement marked weak (<see cref="GlibcxxVersionPatch"/>) is written to a per-user cache folder and loaded from there;
/// TorchSharp's own load by name then finds it by its soname. When the library cannot be loaded at all, <see cref="EnsureLoaded"/>
/// says why (the dynamic loader's own reason: a missing file, a symbol version the system lacks) and what fixes it.
/// </summary>
public static class TorchNativeLibrary
{
    /// <summary>Environment variable: the folder for the weakened copy (default: $XDG_CACHE_HOME or ~/.cache, then the temp folder).</summary>
    internal const string CacheFolderVariable = "LORA_NATIVE_CACHE_DIR";

    /// <summary>Environment variable: set to 1 to never load a weakened copy (to see the load failure as the system has it).</summary>
    internal const string DisableVariable = "LORA_DISABLE_GLIBCXX_COMPAT";

    private const string FileName = "libLibTorchSharp.so";
    private const string ImportName = "LibTorchSharp";

    private static readonly object Gate = new();
    private static LoadOutcome? outcome;
    [ThreadStatic] private static bool loading;

    /// <summary>
    /// The file TorchSharp's native library was loaded from by this library: the application's own copy, or the weakened copy
    /// in the cache folder. Null where the library leaves loading to TorchSharp (Windows, macOS, no linux copy found).
    /// </summary>
    internal static string? LoadedFrom => Result().Path;

    /// <summary>True when the weakened copy was needed (this system's libstdc++ lacks GLIBCXX_3.4.32).</summary>
    internal static bool UsesCompatibleCopy => Result().CompatibleCopy;

    /// <summary>
    /// Makes sure TorchSharp's native library is loaded, or throws naming the real cause and the fix. The library calls it
    /// before its first TorchSharp call; an application that calls TorchSharp itself before any Microsoft.ML.Lora API can call
    /// it first to get the same fix.
    /// </summary>
    /// <exception cref="InvalidOperationException">The native library cannot be loaded; the message says why and what to do.</exception>
    public static void EnsureLoaded()
    {
        var attempt = Result();
        if (attempt.Error is not null) throw new InvalidOperationException(attempt.Error);
        if (attempt.Path is not null) return;
        // Not loaded by us (another OS or layout): let TorchSharp load it, and replace its misleading message if it fails.
        try { TorchSharp.torch.TryInitializeDeviceType(TorchSharp.DeviceType.CPU); }
        catch (Exception e) when (e is TypeInitializationException or NotSupportedException or DllNotFoundException)
        {
            throw new InvalidOperationException(NativeLoadDiagnosis.TorchSharpFailed(e, attempt.SearchedFolders, TorchSharpVersion()), e);
        }
    }

    // The earliest hook a library has: it runs before any other code of this assembly, so before this library's first
    // TorchSharp call whatever the entry point (Fit, Model.Load, an adapter import). The load itself waits until TorchSharp.dll
    // is loaded (which happens before any of its code, its type initializer included, runs), so code that never touches
    // TorchSharp (ConllReader, the tokenizers) pays nothing. It never throws; EnsureLoaded reports.
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "TorchSharp's native library must be loaded before TorchSharp's type initializer runs, from any entry point.")]
    internal static void LoadBeforeTorchSharp()
    {
        AppDomain.CurrentDomain.AssemblyLoad += OnAssemblyLoad;
        if (AppDomain.CurrentDomain.GetAssemblies().Any(IsTorchSharp)) LoadQuietly();
    }

    private static void OnAssemblyLoad(object? sender, AssemblyLoadEventArgs e)
    {
        if (!IsTorchSharp(e.LoadedAssembly)) return;
        AppDomain.CurrentDomain.AssemblyLoad -= OnAssemblyLoad;
        LoadQuietly();
    }

    private static void LoadQuietly()
    {
        try { _ = Result(); }
        catch (Exception) { }   // a bug here must not break an assembly load; EnsureLoaded tries again and reports
    }

    private static bool IsTorchSharp(System.Reflection.Assembly assembly) => assembly.GetName().Name == "TorchSharp";

    /// <summary>The outcome of the one load attempt of this process, made on first use.</summary>
    private static LoadOutcome Result()
    {
        if (Volatile.Read(ref outcome) is { } done) return done;
        // Re-entered from the AssemblyLoad event while this thread is loading (the attempt's own first touch of TorchSharp.dll
        // loads it): the outer call is about to have the answer.
        if (loading) return new LoadOutcome([]);
        lock (Gate)
        {
            if (outcome is { } raced) return raced;
            loading = true;
            try { Volatile.Write(ref outcome, LoadOnce()); }
            finally { loading = false; }
            return outcome!;
        }
    }

    private static LoadOutcome LoadOnce()
    {
        var folders = new List<string>();
        try
        {
            if (!OperatingSystem.IsLinux()) return new LoadOutcome(folders);
            folders.AddRange(SearchFolders());
            string? library = folders.Select(f => System.IO.Path.Combine(f, FileName)).FirstOrDefault(File.Exists);
            if (library is null) return new LoadOutcome(folders);   // not the usual app layout: TorchSharp searches further
            if (TryLoad(library, out _, out string error)) return new LoadOutcome(folders) { Path = library };

            if (NativeLoadDiagnosis.MissingVersion(error) is not { } missing || missing.Version != GlibcxxVersionPatch.Version
                || !SameFile(missing.RequiredBy, library))
                return new LoadOutcome(folders) { Error = NativeLoadDiagnosis.Describe(library, error, null, TorchSharpVersion()) };
            if (Environment.GetEnvironmentVariable(DisableVariable) == "1")
                return new LoadOutcome(folders) { Error = NativeLoadDiagnosis.Describe(library, error, $"{DisableVariable}=1 is set, so no compatible copy was made; unset it", TorchSharpVersion()) };
            return LoadCompatibleCopy(library, error, folders);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or BadImageFormatException)
        {
            // Something unexpected about the files: stay out of the way and let TorchSharp try (and report) on its own.
            return new LoadOutcome(folders);
        }
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static LoadOutcome LoadCompatibleCopy(string library, string originalError, List<string> folders)
    {
        byte[] original = File.ReadAllBytes(library);
        var result = GlibcxxVersionPatch.Apply(original, GlibcxxVersionPatch.Version, out byte[]? patched, out string reason);
        if (result != GlibcxxVersionPatch.Outcome.Patched)
            return new LoadOutcome(folders) { Error = NativeLoadDiagnosis.Describe(library, originalError, $"it cannot be made compatible: {reason}", TorchSharpVersion()) };

        // The copy's RUNPATH ($ORIGIN) is the cache folder: load its libtorch dependencies from beside the original first, so
        // the dynamic loader resolves the copy's DT_NEEDED entries to them by soname.
        foreach (string needed in new ElfImage(original).NeededLibraries())
            if (folders.Select(f => System.IO.Path.Combine(f, needed)).FirstOrDefault(File.Exists) is { } dependency)
                NativeLibrary.TryLoad(dependency, out _);

        string hash = Convert.ToHexStringLower(SHA256.HashData(original))[..16];
        var failures = new List<string>();
        foreach (string root in CacheRoots())
        {
            string copy = System.IO.Path.Combine(root, "torchsharp-glibcxx-compat", hash, FileName);
            try
            {
                // Private to this user where it is created (the temp folder is shared); the content is checked before each load.
                Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                if (!File.Exists(copy) || !File.ReadAllBytes(copy).AsSpan().SequenceEqual(patched))
                    AtomicFile.Write(copy, s => s.Write(patched!));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failures.Add($"{copy}: {e.Message}");
                continue;
            }
            if (TryLoad(copy, out IntPtr handle, out string error))
            {
                ResolveImportsTo(handle);
                return new LoadOutcome(folders) { Path = copy, CompatibleCopy = true };
            }
            if (NativeLoadDiagnosis.MissingVersion(error) is not null)   // the copy loads no better: another requirement is missing
                return new LoadOutcome(folders) { Error = NativeLoadDiagnosis.Describe(copy, error, $"a copy with {GlibcxxVersionPatch.Version} marked weak was made at {copy}, but it needs more", TorchSharpVersion()) };
            failures.Add($"{copy}: {error}");
        }
        return new LoadOutcome(folders)
        {
            Error = NativeLoadDiagnosis.Describe(library, originalError,
                $"no compatible copy could be written and loaded ({string.Join("; ", failures)}); set {CacheFolderVariable} to a writable folder on a file system that allows executables", TorchSharpVersion()),
        };
    }

    /// <summary>
    /// TorchSharp's P/Invokes ask for "LibTorchSharp" per entry point; without a resolver each first call would first try (and
    /// fail on) the application's unpatched file before the loader's soname match finds the copy.
    /// </summary>
    private static void ResolveImportsTo(IntPtr handle)
    {
        try { NativeLibrary.SetDllImportResolver(typeof(TorchSharp.torch).Assembly, (name, _, _) => name == ImportName ? handle : IntPtr.Zero); }
        catch (InvalidOperationException) { }   // the application set its own resolver; the soname match still finds the copy
    }

    /// <summary>Where the runtime looks for native libraries: the host's list (the app's runtimes/RID/native folders) and TorchSharp.dll's folder.</summary>
    private static IEnumerable<string> SearchFolders()
    {
        var folders = (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string ?? "")
            .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (System.IO.Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location) is { Length: > 0 } torchSharpFolder)
            folders.Add(torchSharpFolder);
        return folders.Select(f => System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(f))).Distinct(StringComparer.Ordinal);
    }

    /// <summary>The per-user folders the weakened copy may go to, in order of preference.</summary>
    internal static IEnumerable<string> CacheRoots()
    {
        if (Environment.GetEnvironmentVariable(CacheFolderVariable) is { Length: > 0 } chosen)
        {
            yield return System.IO.Path.GetFullPath(chosen);
            yield break;
        }
        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg && System.IO.Path.IsPathRooted(xdg))
            yield return System.IO.Path.Combine(xdg, "Microsoft.ML.Lora");
        if (Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } home)
            yield return System.IO.Path.Combine(home, ".cache", "Microsoft.ML.Lora");
        yield return System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"Microsoft.ML.Lora-{Environment.UserName}");
    }

    private static bool TryLoad(string path, out IntPtr handle, out string error)
    {
        try
        {
            handle = NativeLibrary.Load(path);
            error = "";
            return true;
        }
        catch (DllNotFoundException e)
        {
            handle = IntPtr.Zero;
            error = NativeLoadDiagnosis.LoaderMessage(e.Message);
            return false;
        }
    }

    private static bool SameFile(string a, string b) =>
        string.Equals(System.IO.Path.GetFullPath(a), System.IO.Path.GetFullPath(b), StringComparison.Ordinal)
        || string.Equals(System.IO.Path.GetFileName(a), System.IO.Path.GetFileName(b), StringComparison.Ordinal);

    private static string TorchSharpVersion() => typeof(TorchSharp.torch).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "";

    private sealed record LoadOutcome(IReadOnlyList<string> SearchedFolders)
    {
        public string? Path { get; init; }
        public bool CompatibleCopy { get; init; }
        public string? Error { get; init; }
    }
}
