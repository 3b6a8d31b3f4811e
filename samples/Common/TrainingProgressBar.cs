using System.Globalization;
using Microsoft.ML.Lora;

namespace Samples.Common;

/// <summary>
/// Shows the fine-tuning loop's <see cref="TrainingProgress"/> reports: on a terminal a live one-line bar (epoch, loss,
/// examples/s, ETA) redrawn with <c>\r</c>; when output is redirected (a log file, CI, a test) plain lines, at most one
/// every <see cref="PlainLineInterval"/>, plus a line per finished epoch.
/// </summary>
/// <remarks>
/// The loop calls <see cref="Report"/> on its own thread, synchronously (this is not a <see cref="Progress{T}"/>, which
/// would post to the thread pool and could print after training has ended).
/// </remarks>
public sealed class TrainingProgressBar : IProgress<TrainingProgress>
{
    private const int BarWidth = 24;
    private static readonly TimeSpan PlainLineInterval = TimeSpan.FromSeconds(30);

    private readonly TextWriter output;
    private readonly bool live;
    private readonly object gate = new();
    private int drawnLength;
    private string? bar;
    private TimeSpan? lastPlainLine;
    private double lastTrainingLoss = double.NaN;

    /// <summary>Writes to standard output; a live bar only when it is a terminal.</summary>
    public TrainingProgressBar() : this(Console.Out, !Console.IsOutputRedirected) { }

    /// <summary>Writes to <paramref name="output"/>; <paramref name="live"/> redraws one line instead of printing lines.</summary>
    public TrainingProgressBar(TextWriter output, bool live)
    {
        this.output = output;
        this.live = live;
    }

    /// <summary>What the validation metric is, for the epoch lines ("accuracy" for classification, "entity F1" for NER).</summary>
    public string MetricName { get; init; } = "accuracy";

    /// <summary>The report text of the last <see cref="Report"/> call, so that a log printer can skip the loop's copy of it.</summary>
    public string? LastReportText { get; private set; }

    /// <inheritdoc/>
    public void Report(TrainingProgress p)
    {
        lock (gate)
        {
            LastReportText = p.ToString();
            // The epoch-end report comes after the loop has reset the epoch's running loss, so the last one seen is kept.
            if (p.Phase == TrainingPhase.Training && !double.IsNaN(p.Loss)) lastTrainingLoss = p.Loss;
            bool epochEnd = p.Phase == TrainingPhase.Training && p.ValidationLoss is not null;
            if (epochEnd)
            {
                WriteLine(Invariant($"epoch {p.Epoch}/{p.Epochs}: train loss {lastTrainingLoss:F4}, validation loss {p.ValidationLoss:F4}, validation {MetricName} {p.ValidationMetric:F4}"));
                return;
            }
            if (p.Phase == TrainingPhase.Completed)
            {
                ClearBar();
                bar = null;
                WriteLine(Invariant($"training done: {p.Step} steps in {Clock(p.Elapsed)} ({p.ExamplesPerSecond:F1} examples/s)"));
                return;
            }
            string text = Describe(p);
            if (live)
            {
                bar = text;
                Draw();
            }
            else if (p.Phase == TrainingPhase.Validating || lastPlainLine is null || p.Elapsed - lastPlainLine >= PlainLineInterval)
            {
                lastPlainLine = p.Elapsed;
                output.WriteLine(text);
            }
        }
    }

    /// <summary>Prints a line above the live bar (or just the line when output is redirected).</summary>
    public void WriteLine(string line)
    {
        lock (gate)
        {
            ClearBar();
            output.WriteLine(line);
            if (bar is not null) Draw();
        }
    }

    private static string Describe(TrainingProgress p)
    {
        double done = p.TotalSteps == 0 ? 0 : (double)p.Step / p.TotalSteps;
        int filled = (int)Math.Round(done * BarWidth);
        string gauge = new string('#', filled) + new string('-', BarWidth - filled);
        string eta = p.Eta is { } e ? Clock(e) : "--:--";
        string what = p.Phase == TrainingPhase.Validating ? "validating" : Invariant($"loss {p.Loss:F4}");
        return Invariant($"epoch {p.Epoch}/{p.Epochs} [{gauge}] {(int)(done * 100),3}% step {p.Step}/{p.TotalSteps} {what} {p.ExamplesPerSecond:F0} ex/s ETA {eta}");
    }

    private void Draw()
    {
        string text = bar!;
        output.Write('\r' + text + new string(' ', Math.Max(0, drawnLength - text.Length)));
        output.Flush();
        drawnLength = text.Length;
    }

    private void ClearBar()
    {
        if (!live || drawnLength == 0) return;
        output.Write('\r' + new string(' ', drawnLength) + '\r');
        drawnLength = 0;
    }

    private static string Clock(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
