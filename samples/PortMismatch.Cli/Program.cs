using System.Runtime.InteropServices;
using PortMismatch.Cli;

// Ctrl-C and SIGTERM stop reading; the command still prints what it has (listen: the open windows). A second Ctrl-C kills.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = !cancel.IsCancellationRequested;
    cancel.Cancel();
};
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    cancel.Cancel();
});
return await CommandLine.RunAsync(args, Console.Out, Console.Error, cancel.Token).ConfigureAwait(false);
