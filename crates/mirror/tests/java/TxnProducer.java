// Writes a fixed mix of transactional and plain records with Kafka's own Java producer, for the
// replication tests (tests/replicate_edge_cases.rs):
//
//   javac -cp "$KAFKA_LIB/*" -d CLASSES TxnProducer.java
//   java -Dlog4j2.configurationFile=LOG4J2 -cp "CLASSES:$KAFKA_LIB/*" TxnProducer BOOTSTRAP TOPIC TXN_ID
//
// Every step below writes to partitions 0 and 1 of TOPIC, in this order; the value (and key) of
// each record is "<step>-<i>-p<partition>", with a header "step" = "<step>":
//   n1  plain (no transaction), 3 records per partition
//   c1  transaction, 4 records per partition, committed
//   n2  plain, 2 records per partition
//   a1  transaction, 5 records per partition, flushed to the log, then aborted
//   c2  transaction, 3 records per partition, flushed, then (transaction still open)
//   n3  plain, 2 records per partition, then c2 committed
//   a2  transaction, 2 records per partition, flushed, aborted
//   n4  plain, 3 records per partition
// A read_committed reader sees n1 c1 n2 c2 n3 n4 (c2 before n3: offset order), never a1 or a2.
// Prints "DONE" on stdout when every write was acknowledged.
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class TxnProducer {
    static String topic;

    static void send(KafkaProducer<byte[], byte[]> producer, String step, int n, boolean sync)
            throws Exception {
        for (int p = 0; p < 2; p++) {
            for (int i = 0; i < n; i++) {
                byte[] value = (step + "-" + i + "-p" + p).getBytes(StandardCharsets.UTF_8);
                RecordHeaders headers = new RecordHeaders();
                headers.add("step", step.getBytes(StandardCharsets.UTF_8));
                ProducerRecord<byte[], byte[]> r =
                    new ProducerRecord<>(topic, p, null, value, value, headers);
                if (sync) {
                    producer.send(r).get();
                } else {
                    producer.send(r);
                }
            }
        }
        producer.flush();
    }

    static Properties props(String bootstrap) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return props;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: TxnProducer BOOTSTRAP TOPIC TXN_ID");
            System.exit(64);
        }
        topic = args[1];
        Properties txnProps = props(args[0]);
        txnProps.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, args[2]);
        ByteArraySerializer ser = new ByteArraySerializer();
        try (KafkaProducer<byte[], byte[]> plain = new KafkaProducer<>(props(args[0]), ser, ser);
             KafkaProducer<byte[], byte[]> txn = new KafkaProducer<>(txnProps, ser, ser)) {
            txn.initTransactions();
            send(plain, "n1", 3, true);

            txn.beginTransaction();
            send(txn, "c1", 4, false);
            txn.commitTransaction();

            send(plain, "n2", 2, true);

            txn.beginTransaction();
            send(txn, "a1", 5, false);
            txn.abortTransaction();

            txn.beginTransaction();
            send(txn, "c2", 3, false);
            send(plain, "n3", 2, true);
            txn.commitTransaction();

            txn.beginTransaction();
            send(txn, "a2", 2, false);
            txn.abortTransaction();

            send(plain, "n4", 3, true);
        }
        System.out.println("DONE");
    }
}
