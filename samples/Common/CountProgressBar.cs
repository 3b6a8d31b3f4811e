using System.Diagnostics;
using System.Globalization;

namespace Samples.Common;

/// <summary>
/// Progress of a job of known size (rows scored, say) as <c>IProgress&lt;int&gt;</c> of the number done: on a terminal a
/// live one-line bar with rate and ETA redrawn with <c>\r</c>; when output is redirected a plain line at most every 30
/// seconds. <see cref="Complete"/> prints the final line with the elapsed time.
/// </summary>
public sealed class CountProgressBar : IProgress<int>
{
    private const int BarWidth = 24;
    private static readonly TimeSpan PlainLineInterval = TimeSpan.FromSeconds(30);

    private readonly string what;
    private readonly int total;
    private readonly TextWriter output;
    private readonly bool live;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly object gate = new();
    private TimeSpan lastPlainLine = TimeSpan.Zero;
    private int drawnLength;

    /// <summary>A bar for <paramref name="total"/> items of <paramref name="what"/> ("texts scored") on standard output.</summary>
    public CountProgressBar(string what, int total) : this(what, total, Console.Out, !Console.IsOutputRedirected) { }

    /// <summary>A bar on <paramref name="output"/>; <paramref name="live"/> redraws one line instead of printing lines.</summary>
    public CountProgressBar(string what, int total, TextWriter output, bool live)
    {
        this.what = what;
        this.total = Math.Max(1, total);
        this.output = output;
        this.live = live;
    }

    /// <summary>Time since the bar was made.</summary>
    public TimeSpan Elapsed => clock.Elapsed;

    /// <inheritdoc/>
    public void Report(int done)
    {
        lock (gate)
        {
            var elapsed = clock.Elapsed;
            double rate = done / Math.Max(1e-9, elapsed.TotalSeconds);
            double share = Math.Clamp((double)done / total, 0, 1);
            int filled = (int)Math.Round(share * BarWidth);
            string eta = done > 0 ? Clock(TimeSpan.FromSeconds((total - done) / rate)) : "--:--";
            string text = string.Create(CultureInfo.InvariantCulture,
                $"{what} [{new string('#', filled) + new string('-', BarWidth - filled)}] {(int)(share * 100),3}% {done:N0}/{total:N0} {rate:F0}/s ETA {eta}");
            if (live)
            {
                output.Write('\r' + text + new string(' ', Math.Max(0, drawnLength - text.Length)));
                output.Flush();
                drawnLength = text.Length;
            }
            else if (elapsed - lastPlainLine >= PlainLineInterval)
            {
                lastPlainLine = elapsed;
                output.WriteLine(text);
            }
        }
    }

    /// <summary>Clears the bar and prints "<paramref name="summary"/> in m:ss".</summary>
    public void Complete(string summary)
    {
        lock (gate)
        {
            if (live && drawnLength > 0) output.Write('\r' + new string(' ', drawnLength) + '\r');
            drawnLength = 0;
            output.WriteLine($"{summary} in {Clock(clock.Elapsed)}");
        }
    }

    private static string Clock(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
