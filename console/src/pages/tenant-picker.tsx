import type { Me } from '../api/management-api.ts';
import { flagsHref } from '../route.ts';

export function TenantPicker({ me }: { me: Me }) {
  return (
    <>
      <h1>Tenants</h1>
      {me.tenants.length === 0 ? (
        <p>Your token holds no role in any tenant this operator reconciles.</p>
      ) : (
        <ul>
          {me.tenants.map((tenant) => (
            <li key={tenant.id}>
              <a href={flagsHref(tenant.namespace)}>{tenant.namespace}</a> ({tenant.role})
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
