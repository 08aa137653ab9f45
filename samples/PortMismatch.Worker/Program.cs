using PortMismatch.Worker;

return await WorkerProgram.RunAsync(args, Console.Error).ConfigureAwait(false);
